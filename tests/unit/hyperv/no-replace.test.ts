// Routine edits never rebuild a Hyper-V object (review findings 1 and 2; repro-provider/t3.js and
// t6.js), through the dispatcher exactly as the engine calls it: check(), then diff().
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dispatchV1 } from "../../../provider/core/entry";

type Props = Record<string, unknown>;
type Check = { inputs: Props; failures?: Array<{ property: string; reason: string }> };
type Diff = { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean };

const check = (key: string, olds: Props, news: Props) =>
  dispatchV1({ key, module: "", method: "check", args: [olds, news] }) as Promise<Check>;
const diff = (key: string, olds: Props, news: Props) =>
  dispatchV1({ key, module: "", method: "diff", args: ["id", olds, news] }) as Promise<Diff>;
const NONE: Diff = { changes: false, replaces: [], deleteBeforeReplace: false };

const FC = "hyperv:FailoverCluster";
const base = {
  name: "HV-Cluster",
  nodes: ["HV1", "HV2", "HV3"],
  staticAddresses: ["192.168.1.200", "192.168.2.200"],
};
const fcState = async (extra: Props = {}) => ({
  ...(await check(FC, {}, { ...base, ...extra })).inputs,
  clusterId: "x",
  validationReport: "",
  validationWarnings: [],
  featureInstalledOn: [],
});

describe("FailoverCluster: creation-only fields", () => {
  it("reordering staticAddresses is no change (t6)", async () => {
    const olds = await fcState();
    const news = (await check(FC, olds, { ...base, staticAddresses: ["192.168.2.200", "192.168.1.200"] }))
      .inputs;
    assert.deepEqual(await diff(FC, olds, news), NONE);
  });

  it("reordering ignoreNetworks or nodes is no change", async () => {
    const olds = await fcState({ ignoreNetworks: ["10.0.0.0/24", "10.1.0.0/24"] });
    const news = (
      await check(FC, olds, {
        ...base,
        nodes: ["HV3", "HV1", "HV2"],
        ignoreNetworks: ["10.1.0.0/24", "10.0.0.0/24"],
      })
    ).inputs;
    assert.deepEqual(await diff(FC, olds, news), NONE);
  });

  for (const [field, value] of [
    ["staticAddresses", ["192.168.1.200", "192.168.2.200", "192.168.3.200"]],
    ["ignoreNetworks", ["10.9.0.0/16"]],
    ["noStorage", true],
    ["name", "HV-Other"],
  ] as const) {
    it(`refuses a changed ${field} in check(), naming the field, what is at risk and what to do; diff never replaces (t3)`, async () => {
      for (const adopt of [false, true]) {
        const olds = await fcState({ adopt });
        const c = await check(FC, olds, { ...base, adopt, [field]: value });
        const f = c.failures?.find((x) => x.property === field);
        assert.ok(f, JSON.stringify(c.failures));
        assert.match(f.reason, /cannot change after creation/);
        assert.match(f.reason, /every Cluster Shared Volume and its data/);
        assert.match(f.reason, /Put the old value back.*allowDestructiveReplace: true/);
        assert.deepEqual((await diff(FC, olds, c.inputs)).replaces, []);
      }
    });
  }

  it("replaces only with allowDestructiveReplace: true", async () => {
    const olds = await fcState();
    const c = await check(FC, olds, {
      ...base,
      staticAddresses: ["192.168.9.9"],
      allowDestructiveReplace: true,
    });
    assert.deepEqual(c.failures, []);
    assert.deepEqual(await diff(FC, olds, c.inputs), {
      changes: true,
      replaces: ["staticAddresses"],
      deleteBeforeReplace: true,
    });
  });

  it("a value unknown at preview is an update, not a replace", async () => {
    const olds = await fcState();
    const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const c = await check(FC, olds, { ...base, name: UNKNOWN, staticAddresses: [UNKNOWN, "192.168.2.200"] });
    const d = await diff(FC, olds, c.inputs);
    assert.deepEqual(d.replaces, []);
    assert.equal(d.changes, true);
  });

  it("changing adopt (un-adopting) is never a replacement", async () => {
    const olds = await fcState({ adopt: true });
    const news = (await check(FC, olds, { ...base, adopt: false })).inputs;
    assert.deepEqual((await diff(FC, olds, news)).replaces, []);
  });
});

describe("defaults written out change nothing (finding 2, t3)", () => {
  it("ClusterSharedVolume: resiliency Mirror, fileSystem CSVFS_ReFS, storagePool S2D*", async () => {
    const key = "hyperv:ClusterSharedVolume";
    const volume = { cluster: "HV-Cluster", friendlyName: "Volume1", sizeGb: 1024 };
    const olds = { ...(await check(key, {}, volume)).inputs, csvName: "x", path: "p", sizeBytes: 1 };
    // State written before the defaults moved into the schema has none of the three fields.
    const legacy = {
      cluster: "HV-Cluster",
      friendlyName: "Volume1",
      sizeGb: 1024,
      csvName: "x",
      path: "p",
      sizeBytes: 1,
    };
    const explicit = { ...volume, resiliency: "Mirror", fileSystem: "CSVFS_ReFS", storagePool: "S2D*" };
    for (const state of [olds, legacy]) {
      const c = await check(key, state, explicit);
      assert.deepEqual(c.failures, []);
      assert.deepEqual(await diff(key, state, c.inputs), NONE);
    }
  });

  it("ClusterSharedVolume: a real change of fileSystem is refused, never a delete-before-replace", async () => {
    const key = "hyperv:ClusterSharedVolume";
    const volume = { cluster: "HV-Cluster", friendlyName: "Volume1", sizeGb: 1024 };
    const olds = { ...(await check(key, {}, volume)).inputs, csvName: "x", path: "p", sizeBytes: 1 };
    const c = await check(key, olds, { ...volume, fileSystem: "CSVFS_NTFS" });
    assert.match(
      c.failures?.find((f) => f.property === "fileSystem")?.reason ?? "",
      /deletes the volume and every file on it/,
    );
    assert.deepEqual((await diff(key, olds, c.inputs)).replaces, []);
  });

  it("VmRole: roleName written out as its default (the VM's name)", async () => {
    const key = "hyperv:VmRole";
    const olds = {
      ...(await check(key, {}, { cluster: "HV-Cluster", vmName: "VM1" })).inputs,
      groupName: "VM1",
      vmId: "x",
    };
    const c = await check(key, olds, { cluster: "HV-Cluster", vmName: "VM1", roleName: "VM1" });
    assert.deepEqual(await diff(key, olds, c.inputs), NONE);
  });
});
