// examples/hyperv-csv through the real engine and vmha's language host, against the WSFC
// simulator: the seed's steps, a no-op second preview, drift detection in CI (npm run drift),
// failovers and paused nodes that are not drift, correction by `up`, and destroy.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  destroy,
  envFor,
  outputs,
  previewRefresh,
  programStack,
  ROOT,
  stateText,
  type TestStack,
  up,
} from "../../support/engine";
import { adminShell, newSim, type Sim } from "../../support/wsfc-sim/fixture";

const PROGRAM = path.join(ROOT, "examples", "hyperv-csv");
const DRIFT = path.join(ROOT, "dist", "provider", "core", "drift", "cli.js");
const PASSWORD = "winrm-secret-p@ss'word";

describe("examples/hyperv-csv against the WSFC simulator", () => {
  let sim: Sim;
  let s: TestStack;
  before(async () => {
    // Through WinRM remoting to HV1, with the password as a secret stack setting.
    sim = newSim({ vms: { VM1: 8 }, remoting: { userName: "CONTOSO\\admin", password: PASSWORD } });
    sim.activate();
    s = await programStack(PROGRAM, {
      monitoredServices: '["W3SVC"]',
      "vmha:hypervComputerName": "HV1",
      "vmha:hypervUserName": "CONTOSO\\admin",
    });
    await s.stack.setConfig("vmha:hypervPassword", { value: PASSWORD, secret: true });
  });
  after(async () => {
    await s?.dispose();
    sim?.dispose();
  });

  function drift() {
    const r = spawnSync(process.execPath, [DRIFT, "--stack", s.stack.name, "--cwd", PROGRAM, "--quiet"], {
      encoding: "utf8",
      env: { ...process.env, ...envFor(s.stateDir) },
    });
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  it("runs the seed's steps: feature, New-Cluster with a static address, S2D, a CSV, VM1 as a role, CAU", async () => {
    const o = await up(s);
    assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
    const w = sim.world();
    for (const n of ["HV1", "HV2", "HV3"]) assert.deepEqual(w.machines[n]!.features, ["Failover-Clustering"]);
    const c = w.clusters["HV-Cluster"]!;
    assert.deepEqual(Object.keys(c.nodes), ["HV1", "HV2", "HV3"]);
    assert.deepEqual(c.staticAddresses, ["192.168.1.200"]);
    assert.equal(c.s2d?.pool.friendlyName, "S2D on HV-Cluster");
    assert.equal(c.disks["Cluster Virtual Disk (Volume1)"]?.csv, true);
    assert.equal(c.groups["VM1"]?.priority, 3000);
    assert.deepEqual(c.groups["VM1"]?.monitored, [{ type: "Service", name: "W3SVC" }]);
    assert.deepEqual(c.cau?.daysOfWeek, ["Tuesday"]);
    const outs = await outputs(s);
    assert.equal(outs.csvPath, "C:\\ClusterStorage\\Volume1");
    assert.equal(outs.vmRole, "VM1");
    assert.ok(!stateText(s).includes(PASSWORD), "the remoting password leaked into the state");
    assert.ok(
      w.journal?.some((l) => l.includes("-ScriptBlock {")),
      "scripts should run through the remote session",
    );
    assert.ok(
      w.journal?.some((l) =>
        l.includes(
          "New-Cluster -Name 'HV-Cluster' -Node @('HV1', 'HV2', 'HV3') -StaticAddress @('192.168.1.200')",
        ),
      ),
      "New-Cluster should have been sent as the seed wrote it",
    );
  });

  it("previews no changes on a second run, with a refresh of live state", async () => {
    const o = await previewRefresh(s);
    assert.equal(o.error, undefined, o.error);
    for (const [name, ops] of o.ops)
      assert.ok(
        ops.every((op) => op === "same" || op === "refresh"),
        `${name}: ${ops.join(",")}`,
      );
  });

  it("reports no drift for a failover and a paused node (npm run drift exits 0)", async () => {
    const admin = await adminShell(sim);
    try {
      await admin.run("$null = Suspend-ClusterNode -Cluster 'HV-Cluster' -Name 'HV1' -Drain");
      await admin.run("$null = Stop-ClusterNode -Cluster 'HV-Cluster' -Name 'HV2'");
    } finally {
      await admin.close();
    }
    assert.equal(sim.world().clusters["HV-Cluster"]!.groups["VM1"]!.ownerNode, "HV3");
    const r = drift();
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    assert.match(r.out, /^no drift: \d+ resource\(s\) of stack .* match their state$/m);
  });

  it("reports changes made outside Pulumi (exit 7) and up corrects them", async () => {
    const admin = await adminShell(sim);
    try {
      await admin.run("(Get-ClusterGroup -Cluster 'HV-Cluster' -Name 'VM1').Priority = 1000");
      await admin.run(
        "$null = Remove-ClusterVMMonitoredItem -Cluster 'HV-Cluster' -VirtualMachine 'VM1' -Service 'W3SVC'",
      );
      await admin.run("$null = Set-CauClusterRole -ClusterName 'HV-Cluster' -DaysOfWeek 'Sunday' -Force");
    } finally {
      await admin.close();
    }
    const r = drift();
    assert.equal(r.code, 7, `${r.out}\n${r.err}`);
    // The report may name old and new values after each field (drift CLI, issue 13 item 6).
    assert.match(r.out, /^drift: vmha-hyperv:VmRole vm1: monitoredServices\b.*, priority\b/m);
    assert.match(r.out, /^drift: vmha-hyperv:ClusterAwareUpdating cau: daysOfWeek\b/m);
    assert.match(r.out, /^2 of \d+ resource\(s\) of stack .* drifted\b/m);
    const o = await s.stack.up({ refresh: true, onOutput: () => {} });
    assert.equal(o.summary.result, "succeeded");
    const c = sim.world().clusters["HV-Cluster"]!;
    assert.equal(c.groups["VM1"]!.priority, 3000);
    assert.deepEqual(c.groups["VM1"]!.monitored, [{ type: "Service", name: "W3SVC" }]);
    assert.deepEqual(c.cau?.daysOfWeek, ["Tuesday"]);
    assert.equal(drift().code, 0);
  });

  it("destroys everything it created, in dependency order", async () => {
    const admin = await adminShell(sim);
    try {
      await admin.run("$null = Resume-ClusterNode -Cluster 'HV-Cluster' -Name 'HV1'");
      await admin.run("$null = Start-ClusterNode -Cluster 'HV-Cluster' -Name 'HV2'");
    } finally {
      await admin.close();
    }
    const o = await destroy(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(sim.world().clusters, {});
    assert.ok(sim.world().machines["HV1"]!.vms["VM1"], "removing the role must not delete the VM");
  });
});
