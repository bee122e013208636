// PowerShell remoting: the session set-up opens a PSSession with credentials (sent on stdin,
// quoted), every script then runs through Invoke-Command and reports errors locally; a wrong
// password fails clearly without echoing it.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RetryableError } from "../../../provider/core/errors";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { definition as role } from "../../../provider/hyperv/resources/vm-role";
import { closeSessions } from "../../../provider/hyperv/session";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";

const PASSWORD = "p@ss'w\"rd $(x) ü";

describe("remoting sessions", () => {
  let sim: Sim;
  before(() => {
    sim = newSim({ featureInstalled: true, remoting: { userName: "CONTOSO\\admin", password: PASSWORD } });
    sim.activate();
  });
  after(async () => {
    await closeSessions();
    sim.dispose();
  });

  const remote = (password: string) =>
    testContext({
      "vmha:hypervComputerName": "HV1",
      "vmha:hypervUserName": "CONTOSO\\admin",
      "vmha:hypervPassword": password,
    });

  it("runs the resources' scripts inside Invoke-Command on the remote session", async () => {
    const r = await cluster.create(
      cluster.inputs.parse({ name: "R1", nodes: ["HV1", "HV2"], runValidation: false }),
      remote(PASSWORD),
    );
    assert.equal(r.id, "R1");
    const journal = sim.world().journal ?? [];
    assert.ok(
      journal.some((l) => l.includes("$vmhaSession = New-PSSession -ComputerName 'HV1' -Credential")),
    );
    assert.ok(
      journal.some((l) =>
        l.startsWith("try { Invoke-Command -Session $vmhaSession -ErrorAction Stop -ScriptBlock { "),
      ),
    );
  });

  it("reports remote errors with the cmdlet and object", async () => {
    await assert.rejects(
      cluster.create(
        cluster.inputs.parse({ name: "R1", nodes: ["HV3"], runValidation: false }),
        remote(PASSWORD),
      ),
      // Found before New-Cluster is sent (never a second New-Cluster), with what to do.
      /cluster 'R1' already exists \(Id [^)]+\); set adopt: true on this FailoverCluster to manage it/,
    );
    await assert.rejects(
      role.create(role.inputs.parse({ cluster: "R1", vmName: "NoSuchVM" }), remote(PASSWORD)),
      /make VM 'NoSuchVM' highly available in cluster 'R1': Add-ClusterVirtualMachineRole failed/,
    );
  });

  it("fails a wrong password clearly, naming the settings, never echoing the password", async () => {
    await closeSessions();
    const err = await cluster
      .read(
        "R1",
        {
          inputs: cluster.inputs.parse({ name: "R1", nodes: ["HV1"] }),
          outputs: { clusterId: "", validationReport: "", validationWarnings: [], featureInstalledOn: [] },
        },
        remote("wrong-secret"),
      )
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    assert.ok(err, "read with a wrong password must fail");
    assert.ok(!(err instanceof RetryableError), "bad credentials are not worth retrying");
    assert.match(err.message, /Access is denied.*check vmha:hypervUserName \/ vmha:hypervPassword/);
    assert.ok(!err.message.includes("wrong-secret"));
  });
});
