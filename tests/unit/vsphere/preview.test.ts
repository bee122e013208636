// Finding 7b and 8 of the Pulumi-side review, through the provider's dispatch as the engine calls
// it (check, then diff), the same calls as ../shared/reviews/repro-provider/t1.js: a value unknown
// during preview, or flipping `adopt`, never shows a replacement of a vsphere.Cluster.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNKNOWN } from "../../../provider/core/check";
import { dispatchV1 } from "../../../provider/core/entry";
import { definition as cluster } from "../../../provider/vsphere/resources/cluster";

type Props = Record<string, unknown>;
const call = (key: string, method: "check" | "diff", args: unknown[]) =>
  dispatchV1({ key, module: "", method, args }) as Promise<Props>;

async function stored(inputs: Props, outputs: Props): Promise<Props> {
  const r = await call("vsphere:Cluster", "check", [{}, inputs]);
  return { ...(r.inputs as Props), ...outputs };
}

describe("vsphere.Cluster preview (findings 7b, 8)", () => {
  const base = { datacenter: "DC0", name: "c", moveHosts: ["h1"] };
  const outs = { clusterId: "domain-c7", hostIds: [], created: true, movedHostIds: ["host-1"] };

  it("7b: an unknown nested number (addHosts[0].port) does not replace the cluster", async () => {
    const olds = await stored(base, outs);
    const chk = await call("vsphere:Cluster", "check", [
      olds,
      { ...base, addHosts: [{ address: "esx9", password: "x", port: UNKNOWN }] },
    ]);
    assert.deepEqual(chk.failures, []);
    const d = await call("vsphere:Cluster", "diff", ["domain-c7", olds, chk.inputs]);
    assert.deepEqual(d.replaces, []);
  });

  it("8: flipping adopt false -> true is an update, not a replacement that destroys the cluster", async () => {
    const olds = await stored(base, outs);
    const chk = await call("vsphere:Cluster", "check", [olds, { ...base, adopt: true }]);
    const d = await call("vsphere:Cluster", "diff", ["domain-c7", olds, chk.inputs]);
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
  });

  it("8: existingId naming the cluster already managed is no change; another cluster's id is refused at check, and replaces only with consent", async () => {
    const olds = await stored({ ...base, adopt: true }, { ...outs, created: false });
    const same = await call("vsphere:Cluster", "check", [
      olds,
      { ...base, adopt: true, existingId: "domain-c7" },
    ]);
    const d1 = await call("vsphere:Cluster", "diff", ["domain-c7", olds, same.inputs]);
    assert.equal(d1.changes, false);
    const other = await call("vsphere:Cluster", "check", [
      olds,
      { ...base, adopt: true, existingId: "domain-c9" },
    ]);
    assert.deepEqual(
      ((other.failures ?? []) as Array<{ property: string }>).map((f) => f.property),
      ["existingId"],
      "a change that replaces the cluster needs allowDestructiveReplace",
    );
    const consented = await call("vsphere:Cluster", "check", [
      olds,
      { ...base, adopt: true, existingId: "domain-c9", allowDestructiveReplace: true },
    ]);
    const d2 = await call("vsphere:Cluster", "diff", ["domain-c7", olds, consented.inputs]);
    assert.deepEqual(d2.replaces, ["existingId"]);
  });

  it("8: un-adopting is an update too (never a replacement; vmha still did not create the cluster)", async () => {
    const olds = await stored({ ...base, adopt: true }, { ...outs, created: false });
    const chk = await call("vsphere:Cluster", "check", [olds, base]);
    assert.deepEqual(chk.failures ?? [], []);
    const d = await call("vsphere:Cluster", "diff", ["domain-c7", olds, chk.inputs]);
    assert.deepEqual(d.replaces, []);
  });

  it("8: update hands a created cluster over when adopt is set (delete then releases it)", () => {
    assert.ok(cluster.update, "Cluster has an update");
    assert.ok(!(cluster.replaceOn ?? []).includes("adopt"));
  });
});

describe("vsphere.HaSettings preview (finding 16)", () => {
  it("reordering heartbeatDatastores.datastores is no change; another datastore is an update", async () => {
    const base = {
      clusterId: "domain-c7",
      heartbeatDatastores: { policy: "userSelectedDs", datastores: ["datastore-1", "datastore-2"] },
    };
    const olds = (await call("vsphere:HaSettings", "check", [{}, base])).inputs as Props;
    const reordered = await call("vsphere:HaSettings", "check", [
      olds,
      {
        ...base,
        heartbeatDatastores: { policy: "userSelectedDs", datastores: ["datastore-2", "datastore-1"] },
      },
    ]);
    const d1 = await call("vsphere:HaSettings", "diff", ["domain-c7", olds, reordered.inputs]);
    assert.equal(d1.changes, false);
    const other = await call("vsphere:HaSettings", "check", [
      olds,
      {
        ...base,
        heartbeatDatastores: { policy: "userSelectedDs", datastores: ["datastore-3", "datastore-1"] },
      },
    ]);
    const d2 = await call("vsphere:HaSettings", "diff", ["domain-c7", olds, other.inputs]);
    assert.equal(d2.changes, true);
    assert.deepEqual(d2.replaces, []);
  });
});

describe("repro-provider t1 and t3, their vSphere cases", () => {
  it("t1: HaSettings whose clusterId is unknown at preview: an update, never a replace", async () => {
    const stored = await call("vsphere:HaSettings", "check", [
      {},
      { clusterId: "domain-c7", vmMonitoring: "vmOnly" },
    ]);
    const olds = { ...(stored.inputs as Props), clusterName: "prod" };
    const chk = await call("vsphere:HaSettings", "check", [
      olds,
      { clusterId: UNKNOWN, vmMonitoring: "vmOnly" },
    ]);
    assert.deepEqual(chk.failures ?? [], []);
    const d = await call("vsphere:HaSettings", "diff", ["domain-c7", olds, chk.inputs]);
    assert.deepEqual(d.replaces, []);
  });

  it("t3: reordering a Cluster's moveHosts is no change", async () => {
    const olds = await stored(
      { datacenter: "DC0", name: "prod", moveHosts: ["esx1", "esx2"] },
      { clusterId: "domain-c7", hostIds: [], created: true, movedHostIds: ["host-1", "host-2"] },
    );
    const chk = await call("vsphere:Cluster", "check", [
      olds,
      { datacenter: "DC0", name: "prod", moveHosts: ["esx2", "esx1"] },
    ]);
    const d = await call("vsphere:Cluster", "diff", ["domain-c7", olds, chk.inputs]);
    assert.equal(d.changes, false);
  });
});
