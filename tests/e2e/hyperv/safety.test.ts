// Issue 13 on the WSFC simulator through the real engine: routine changes never delete a
// cluster, volume or role. Reordering staticAddresses, writing defaults out and renaming with
// aliases preview and apply as no change; a real change of a creation-only field fails at preview
// naming the field; renaming without an alias fails before anything is deleted; removing adopted
// objects from the program (or un-adopting them first) releases them.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { destroy, preview, programStack, ROOT, type TestStack, up } from "../../support/engine";
import { adminShell, newSim, type Sim } from "../../support/wsfc-sim/fixture";
import type { Desired } from "./program/index";

const PROGRAM = path.join(ROOT, "tests", "e2e", "hyperv", "program");
const DESTRUCTIVE =
  /Remove-Cluster\b|Remove-ClusterGroup|Remove-VirtualDisk|Remove-ClusterSharedVolume|Disable-ClusterStorageSpacesDirect/;

async function apply(s: TestStack, d: Desired, op: typeof up = up) {
  await s.stack.setConfig("desired", { value: JSON.stringify(d) });
  return op(s);
}

const OURS = new Set(["hv", "cluster", "s2d", "vol", "volume1", "vm1", "vm2"]);
/** The vmha resources' operations (the dynamic provider's own `default` resource follows config). */
const only = (o: Awaited<ReturnType<typeof up>>, allowed: string[]) => {
  for (const [name, ops] of o.ops)
    if (OURS.has(name))
      assert.ok(
        ops.every((x) => allowed.includes(x)),
        `${name}: ${ops.join(",")}`,
      );
};

describe("no routine change deletes a Hyper-V cluster, volume or role (real engine, WSFC simulator)", () => {
  let sim: Sim;
  let s: TestStack;
  let mark = 0;
  const destructiveSince = () => (sim.world().journal ?? []).slice(mark).filter((l) => DESTRUCTIVE.test(l));
  const desired = (): Desired => ({
    cluster: {
      name: "HV-Cluster",
      nodes: ["HV1", "HV2", "HV3"],
      staticAddresses: ["192.168.1.200", "192.168.2.200"],
    },
    volumeGb: 64,
    roles: [{ name: "vm1", args: { vmName: "VM1" } }],
  });
  before(async () => {
    sim = newSim({ vms: { VM1: 4, VM2: 4 } });
    sim.activate();
    s = await programStack(PROGRAM);
    const o = await apply(s, desired());
    assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
  });
  after(async () => {
    await s?.dispose();
    sim?.dispose();
  });
  const start = () => {
    mark = (sim.world().journal ?? []).length;
  };

  it("reordering staticAddresses and nodes: preview and up show no change", async () => {
    start();
    const d = desired();
    d.cluster = {
      ...d.cluster,
      nodes: ["HV3", "HV2", "HV1"],
      staticAddresses: ["192.168.2.200", "192.168.1.200"],
    };
    const p = await apply(s, d, preview);
    assert.equal(p.error, undefined, p.error);
    only(p, ["same"]);
    const o = await apply(s, d);
    assert.equal(o.error, undefined, o.error);
    only(o, ["same"]);
    assert.deepEqual(destructiveSince(), []);
  });

  it("adding a static address fails at preview naming the field and the data at risk; nothing is deleted", async () => {
    start();
    const d = desired();
    d.cluster = { ...d.cluster, staticAddresses: ["192.168.1.200", "192.168.2.200", "192.168.3.200"] };
    const o = await apply(s, d);
    assert.ok(o.error, "up must fail");
    assert.match(
      o.diagnostics.join("\n"),
      /property staticAddresses value .* has a problem: cannot change after creation .*every Cluster Shared Volume and its data.*allowDestructiveReplace: true/s,
    );
    assert.deepEqual(destructiveSince(), []);
    assert.deepEqual(sim.world().clusters["HV-Cluster"]?.staticAddresses, ["192.168.1.200", "192.168.2.200"]);
  });

  it("writing the volume's and the role's defaults out changes nothing", async () => {
    start();
    const d = desired();
    d.volume = { resiliency: "Mirror", fileSystem: "CSVFS_ReFS", storagePool: "S2D*" };
    d.roles = [
      { name: "vm1", args: { vmName: "VM1", roleName: "VM1", priority: "Medium", preferredOwners: [] } },
    ];
    const o = await apply(s, d);
    assert.equal(o.error, undefined, o.error);
    only(o, ["same"]);
    assert.deepEqual(destructiveSince(), []);
  });

  it("renaming resources with aliases is no change; without aliases it fails before deleting anything", async () => {
    start();
    const d = { ...desired(), names: { cluster: "cluster", volume: "volume1" }, aliases: true };
    const o = await apply(s, d);
    assert.equal(o.error, undefined, o.error);
    only(o, ["same"]);
    const plain = await apply(s, { ...desired(), names: { cluster: "hv-renamed" } });
    assert.ok(plain.error, "a rename without an alias creates a second FailoverCluster, which is refused");
    assert.match(plain.diagnostics.join("\n"), /cluster 'HV-Cluster' already exists .*set adopt: true/);
    assert.deepEqual(destructiveSince(), []);
    assert.ok(sim.world().clusters["HV-Cluster"]?.groups["VM1"]);
    const back = await apply(s, {
      ...desired(),
      names: { cluster: "cluster", volume: "volume1" },
      aliases: true,
    });
    assert.equal(back.error, undefined, back.error);
  });

  it("removing adopted objects, or un-adopting and then removing them, releases them", async () => {
    // A second stack adopts the cluster and a role made outside it.
    const admin = await adminShell(sim);
    try {
      await admin.run(
        "$null = Add-ClusterVirtualMachineRole -Cluster 'HV-Cluster' -VMName 'VM2' -Name 'VM2'",
      );
    } finally {
      await admin.close();
    }
    const t = await programStack(PROGRAM);
    try {
      start();
      const adopted: Desired = {
        cluster: { name: "HV-Cluster", nodes: ["HV1", "HV2", "HV3"], adopt: true },
        noS2d: true,
        roles: [{ name: "vm2", args: { vmName: "VM2", adopt: true } }],
      };
      const o = await apply(t, adopted);
      assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
      // Un-adopt the role (adopt: false): an update, never a replacement.
      const un = await apply(t, {
        ...adopted,
        roles: [{ name: "vm2", args: { vmName: "VM2", adopt: false } }],
      });
      assert.equal(un.error, undefined, un.error);
      assert.deepEqual(un.ops.get("vm2"), ["update"]);
      const gone = await destroy(t);
      assert.equal(gone.error, undefined, gone.error);
      assert.deepEqual(destructiveSince(), []);
      const c = sim.world().clusters["HV-Cluster"];
      assert.ok(c?.groups["VM2"], "the adopted role must stay");
      assert.ok(c?.groups["VM1"], "the other stack's role must stay");
    } finally {
      await t.stack.workspace.removeStack(t.stack.name).catch(() => {});
      // The role made outside the first stack would (rightly) block its cluster's destroy.
      const cleanup = await adminShell(sim);
      await cleanup
        .run("$null = Remove-ClusterGroup -Cluster 'HV-Cluster' -Name 'VM2' -RemoveResources -Force")
        .finally(() => cleanup.close());
    }
  });
});
