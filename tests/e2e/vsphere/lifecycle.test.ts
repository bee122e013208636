// Routine changes through the real engine on dassim never undo or destroy what vmha manages
// (Pulumi-side review findings 6, 7a and 8):
//  - renaming HaSettings / AdmissionControl (a new URN, no alias) keeps HA on and the policy as
//    declared: the old resource's delete sees on the cluster that a successor manages it;
//  - removing HaSettings from a cluster whose HA was on before vmha leaves HA on;
//  - a vsphere.Cluster update (a host moved in) previews HaSettings, AdmissionControl and VmOverride
//    as `same`, not as replacements;
//  - flipping a created cluster's `adopt` to true is an update, the cluster survives, and removing
//    the resource then releases the cluster instead of destroying it.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { findByInventoryPath } from "../../../provider/vsphere/client/inventory";
import { retrieve } from "../../../provider/vsphere/client/props";
import { VimClient } from "../../../provider/vsphere/client/session";
import { connectionSettings } from "../../../provider/vsphere/client/settings";
import { runTask } from "../../../provider/vsphere/client/tasks";
import { agentFor } from "../../../provider/vsphere/client/transport";
import { child } from "../../../provider/vsphere/client/xml";
import { clusterSpecXml, type DasConfig, parseDasConfig } from "../../../provider/vsphere/mapping/das";
import type { clusterSchema } from "../../../provider/vsphere/resources/cluster.schema";
import { AdmissionControl, Cluster, HaSettings, VmOverride } from "../../../sdk/vsphere";
import { inlineStack, outputs, preview, type TestStack, up } from "../../support/engine";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

type ClusterArgs = z.input<typeof clusterSchema.inputs>;

interface Desired {
  clusters: Array<{
    name: string;
    args: ClusterArgs;
    ha?: string;
    admission?: string;
    override?: { name: string; vm: string };
  }>;
}

let desired: Desired = { clusters: [] };
const program = async () => {
  const out: Record<string, pulumi.Output<unknown>> = {};
  for (const c of desired.clusters) {
    const cluster = new Cluster(c.name, c.args);
    out[`${c.name}Id`] = cluster.clusterId;
    if (c.ha) new HaSettings(c.ha, { clusterId: cluster.clusterId, vmMonitoring: "vmOnly" });
    if (c.admission)
      new AdmissionControl(c.admission, {
        clusterId: cluster.clusterId,
        policy: { type: "percentage", cpuPercent: 25, memoryPercent: 30 },
      });
    if (c.override)
      new VmOverride(c.override.name, {
        clusterId: cluster.clusterId,
        vm: c.override.vm,
        restartPriority: "high",
      });
  }
  return out;
};

describe("vSphere lifecycle: renames, previews and adoption never undo or destroy (dassim)", () => {
  let sim: Vcsim;
  let s: TestStack;
  let vc: VimClient;

  const das = async (name: string): Promise<DasConfig> => {
    const ref = await findByInventoryPath(vc, `DC0/host/${name}`);
    assert.ok(ref, `cluster ${name} exists`);
    const p = await retrieve(vc, ref, ["configurationEx"]);
    return parseDasConfig(child(p["configurationEx"], "dasConfig"));
  };

  before(async () => {
    sim = await startVcsim({ clusters: 2, hostsPerCluster: 1, standaloneHosts: 2, vms: 1 });
    const { "vmha:vspherePassword": password, ...plain } = sim.config;
    s = await inlineStack("vsphere-lifecycle", program, plain);
    await s.stack.setConfig("vmha:vspherePassword", { value: password ?? "", secret: true });
    const settings = connectionSettings({ get: (k) => sim.config[k] });
    vc = new VimClient(settings, agentFor(settings));
  });
  after(async () => {
    try {
      await s?.dispose();
    } finally {
      await sim?.stop();
    }
  });

  const c0 = { datacenter: "DC0", name: "DC0_C0", adopt: true } satisfies ClusterArgs;

  it("applies HA and admission control to an adopted cluster", async () => {
    desired = {
      clusters: [
        {
          name: "prod",
          args: c0,
          ha: "ha",
          admission: "admission",
          override: { name: "web", vm: "DC0/vm/DC0_C0_RP0_VM0" },
        },
      ],
    };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const d = await das("DC0_C0");
    assert.equal(d.enabled, true);
    assert.equal(d.admissionControlPolicy?.type, "ClusterFailoverResourcesAdmissionControlPolicy");
  });

  it("6: renaming HaSettings and AdmissionControl (no alias) keeps HA on and the policy as declared", async () => {
    const [prod] = desired.clusters;
    desired = { clusters: [{ ...prod!, ha: "ha-renamed", admission: "admission-renamed" }] };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("ha-renamed"), ["create"]);
    assert.deepEqual(o.ops.get("ha"), ["delete"]);
    assert.deepEqual(o.ops.get("admission"), ["delete"]);
    const d = await das("DC0_C0");
    assert.equal(
      d.enabled,
      true,
      "the old HaSettings' delete turned HA off although its successor manages it",
    );
    assert.equal(d.vmMonitoring, "vmMonitoringOnly");
    assert.deepEqual(
      d.admissionControlPolicy && "cpuFailoverResourcesPercent" in d.admissionControlPolicy
        ? [
            d.admissionControlPolicy.cpuFailoverResourcesPercent,
            d.admissionControlPolicy.memoryFailoverResourcesPercent,
          ]
        : d.admissionControlPolicy,
      [25, 30],
      "the old AdmissionControl's delete reset the policy its successor manages",
    );
  });

  it("7a: a Cluster update (a host moved in) previews its HA resources as same, never replace", async () => {
    const [prod] = desired.clusters;
    desired = { clusters: [{ ...prod!, args: { ...c0, moveHosts: ["DC0_H0"] } }] };
    const p = await preview(s);
    assert.equal(p.error, undefined, p.error);
    assert.deepEqual(p.ops.get("prod"), ["update"]);
    for (const name of ["ha-renamed", "admission-renamed", "web"])
      assert.deepEqual(p.ops.get(name), ["same"], `${name} previewed as ${p.ops.get(name)?.join(", ")}`);
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    for (const name of ["ha-renamed", "admission-renamed", "web"])
      assert.deepEqual(o.ops.get(name), ["same"]);
  });

  it("6: removing HaSettings turns HA off only when vmha turned it on; AdmissionControl restores what was there", async () => {
    const [prod] = desired.clusters;
    desired = { clusters: [{ name: prod!.name, args: prod!.args }] };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const d = await das("DC0_C0");
    assert.equal(d.enabled, false, "HA was off before vmha: removing HaSettings turns it off again");
    // The cluster had no policy before vmha, which vSphere reads as one host failure: that is back.
    assert.equal(d.admissionControlEnabled, true);
    assert.deepEqual(
      d.admissionControlPolicy?.type === "ClusterFailoverLevelAdmissionControlPolicy" &&
        d.admissionControlPolicy.failoverLevel,
      1,
    );
  });

  it("6: removing HaSettings from a cluster whose HA was already on leaves HA on", async () => {
    const ref = await findByInventoryPath(vc, "DC0/host/DC0_C1");
    assert.ok(ref);
    await runTask(
      vc,
      "ReconfigureComputeResource_Task",
      ref,
      { spec: clusterSpecXml({ dasConfig: { enabled: true } }), modify: true },
      "turn HA on outside Pulumi",
    );
    const c1 = { name: "other", args: { datacenter: "DC0", name: "DC0_C1", adopt: true } };
    desired = { clusters: [...desired.clusters, { ...c1, ha: "ha-c1" }] };
    assert.equal((await up(s)).error, undefined);
    desired = { clusters: [...desired.clusters.slice(0, 1), c1] };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("ha-c1"), ["delete"]);
    assert.equal((await das("DC0_C1")).enabled, true, "HA that was on before vmha must stay on");
  });

  it("8: flipping adopt on a cluster vmha created is an update; the cluster survives and is then released", async () => {
    const made = { name: "made", args: { datacenter: "DC0", name: "vmha-made" } satisfies ClusterArgs };
    desired = { clusters: [...desired.clusters, made] };
    assert.equal((await up(s)).error, undefined);
    const id = (await outputs(s)).madeId;
    assert.match(String(id), /^domain-c\d+$/);
    desired = {
      clusters: [...desired.clusters.slice(0, -1), { ...made, args: { ...made.args, adopt: true } }],
    };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("made"), ["update"]);
    assert.ok(await findByInventoryPath(vc, "DC0/host/vmha-made"), "the adopted cluster was destroyed");
    assert.equal((await outputs(s)).madeId, id);
    desired = { clusters: desired.clusters.slice(0, -1) };
    const r = await up(s);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(r.ops.get("made"), ["delete"]);
    assert.ok(
      await findByInventoryPath(vc, "DC0/host/vmha-made"),
      "an adopted cluster is released, not destroyed",
    );
  });
});
