// Adopting what already exists (pulumi import does not work for dynamic resources): a cluster,
// S2D and a VM role created by hand are taken over, their declared settings applied, nothing
// re-created; without adopt, an existing role is refused with a pointer to adopt.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { definition as s2d } from "../../../provider/hyperv/resources/storage-spaces-direct";
import { definition as role } from "../../../provider/hyperv/resources/vm-role";
import { closeSessions } from "../../../provider/hyperv/session";
import { adminShell, newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";

describe("adopting existing objects", () => {
  let sim: Sim;
  const ctx = testContext();
  before(async () => {
    sim = newSim({ featureInstalled: true, memoryGb: 4, vms: { APP: 6 } });
    sim.activate();
    const admin = await adminShell(sim);
    try {
      await admin.run("$null = New-Cluster -Name 'LEGACY' -Node 'HV1','HV2','HV3'");
      await admin.run("$null = Enable-ClusterStorageSpacesDirect -CimSession 'LEGACY' -Confirm:$false");
      await admin.run("$null = Add-ClusterVirtualMachineRole -Cluster 'LEGACY' -VMName 'APP'");
    } finally {
      await admin.close();
    }
  });
  after(async () => {
    await closeSessions();
    sim.dispose();
  });

  const sent = (pattern: RegExp) => (sim.world().journal ?? []).filter((l) => pattern.test(l)).length;

  it("takes over a cluster and applies the declared settings without New-Cluster", async () => {
    const id = sim.world().clusters["LEGACY"]!.id;
    const before = sent(/New-Cluster/);
    const r = await cluster.create(
      cluster.inputs.parse({
        name: "LEGACY",
        nodes: ["HV1", "HV2", "HV3"],
        adopt: true,
        heartbeat: { sameSubnetThreshold: 20 },
      }),
      ctx,
    );
    assert.equal(r.outputs.clusterId, id);
    assert.equal(sent(/New-Cluster/), before);
    assert.equal(sim.world().clusters["LEGACY"]!.sameSubnetThreshold, 20);
  });

  it("takes over S2D, renaming its pool to the declared name", async () => {
    const r = await s2d.create(
      s2d.inputs.parse({ cluster: "LEGACY", poolFriendlyName: "Pool A", adopt: true }),
      ctx,
    );
    assert.equal(r.outputs.poolName, "Pool A");
    assert.equal(sim.world().clusters["LEGACY"]!.s2d?.pool.friendlyName, "Pool A");
  });

  it("refuses in check() to evict a node when the roles would no longer fit", async () => {
    const keep = cluster.inputs.parse({
      name: "LEGACY",
      nodes: ["HV1", "HV2", "HV3"],
      failuresToTolerate: 1,
    });
    assert.deepEqual(await cluster.validate!(keep, ctx), []);
    const evict = cluster.inputs.parse({ name: "LEGACY", nodes: ["HV1", "HV2"], failuresToTolerate: 1 });
    const failures = await cluster.validate!(evict, ctx);
    assert.equal(failures.length, 1);
    assert.match(
      failures[0]!.reason,
      /need 6144 MiB, but after 1 node failure\(s\) \(losing HV1 with 4096 MiB\) the remaining 1 node\(s\) offer 4096 MiB/,
    );
  });

  it("refuses an existing role without adopt, and takes it over with adopt", async () => {
    const inputs = role.inputs.parse({
      cluster: "LEGACY",
      vmName: "APP",
      priority: "High",
      monitoredServices: ["W3SVC"],
    });
    await assert.rejects(
      role.create(inputs, ctx),
      /cluster 'LEGACY' already has a role 'APP'; set adopt: true to manage it/,
    );
    const r = await role.create({ ...inputs, adopt: true }, ctx);
    assert.equal(r.id, "APP");
    const g = sim.world().clusters["LEGACY"]!.groups["APP"]!;
    assert.equal(g.priority, 3000);
    assert.deepEqual(g.monitored, [{ type: "Service", name: "W3SVC" }]);
  });
});
