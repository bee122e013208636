// Creating commands run at most once (review finding 3): when New-Cluster, New-Volume or
// Add-ClusterVirtualMachineRole took effect but its reply was lost (the shell stopped answering or
// died right after), vmha reads the cluster to learn that it happened and never sends it again.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { definition as csv } from "../../../provider/hyperv/resources/cluster-shared-volume";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { definition as s2d } from "../../../provider/hyperv/resources/storage-spaces-direct";
import { definition as role } from "../../../provider/hyperv/resources/vm-role";
import { closeSessions } from "../../../provider/hyperv/session";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";

describe("a lost reply after a creating command", () => {
  let sim: Sim;
  const progress: string[] = [];
  before(() => {
    sim = newSim({ vms: { VM1: 4 }, featureInstalled: true });
    sim.activate();
  });
  after(async () => {
    await closeSessions();
    sim.dispose();
  });
  const sent = (what: string) => (sim.world().journal ?? []).filter((l) => l.includes(what)).length;
  const lose = (match: string, then: "hang" | "crash") =>
    sim.edit((w) => {
      w.faults = { afterCommand: { match, then } };
    });

  it("New-Cluster timed out after it took effect: read back, never run twice", async () => {
    lose("New-Cluster", "hang");
    // A 3 s call deadline for New-Cluster stands in for its 30 minutes.
    const base = testContext({}, progress);
    const ctx = {
      ...base,
      call: ((label, fn, o) =>
        base.call(
          label,
          fn,
          /create cluster/.test(label) ? { ...o, timeoutMs: 3000 } : o,
        )) as typeof base.call,
    };
    const r = await cluster.create(
      cluster.inputs.parse({ name: "HV-Cluster", nodes: ["HV1", "HV2", "HV3"], runValidation: false }),
      ctx,
    );
    assert.equal(r.id, "HV-Cluster");
    assert.equal(sent("New-Cluster"), 1, "New-Cluster must be sent exactly once");
    assert.ok(
      progress.some((p) => /no reply .*reading the cluster to learn whether it happened/.test(p)),
      progress.join("\n"),
    );
    assert.ok(sim.world().clusters["HV-Cluster"]);
  });

  it("New-Volume whose shell died right after: read back, sent once", async () => {
    await s2d.create(s2d.inputs.parse({ cluster: "HV-Cluster" }), testContext());
    lose("New-Volume", "crash");
    const v = await csv.create(
      csv.inputs.parse({ cluster: "HV-Cluster", friendlyName: "Volume1", sizeGb: 10 }),
      testContext(),
    );
    assert.equal(v.id, "Cluster Virtual Disk (Volume1)");
    assert.equal(sent("New-Volume"), 1);
  });

  it("Add-ClusterVirtualMachineRole whose shell died right after: read back, sent once", async () => {
    lose("Add-ClusterVirtualMachineRole", "crash");
    const r = await role.create(role.inputs.parse({ cluster: "HV-Cluster", vmName: "VM1" }), testContext());
    assert.equal(r.id, "VM1");
    assert.equal(sent("Add-ClusterVirtualMachineRole"), 1);
  });

  it("a create whose result is not visible fails with what to do, and is not sent again", async () => {
    // The shell dies on the New-Volume line before running it: nothing to read back.
    sim.edit((w) => {
      w.faults = { beforeCommand: { match: "New-Volume" } };
    });
    const before = sent("New-Volume");
    await assert.rejects(
      csv.create(
        csv.inputs.parse({ cluster: "HV-Cluster", friendlyName: "Volume2", sizeGb: 10 }),
        testContext(),
      ),
      /create volume 'Volume2' .*: no reply .*the cluster does not show its result yet\. vmha did not send it again/,
    );
    assert.equal(sent("New-Volume"), before, "never sent a second time");
  });
});
