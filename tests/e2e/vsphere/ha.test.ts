// vSphere HA through the real Pulumi engine on dassim (vcsim that keeps every dasConfig field):
// an adopted cluster, HaSettings with each sensitivity preset, each admission-control policy, VM
// overrides, in-place updates and replacement, drift made by a second client (reported by
// `npm run drift` with exit 7, corrected by `up`), and destroy.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
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
import { clusterSpecXml, parseDasConfig, parseDasVmConfigs } from "../../../provider/vsphere/mapping/das";
import type { admissionPolicy } from "../../../provider/vsphere/resources/admission-control.schema";
import type { sensitivity } from "../../../provider/vsphere/resources/common.schema";
import { AdmissionControl, Cluster, HaSettings, VmOverride } from "../../../sdk/vsphere";
import {
  diffsOf,
  drifted,
  envFor,
  inlineStack,
  outputs,
  ROOT,
  refresh,
  type TestStack,
  up,
} from "../../support/engine";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

type Policy = z.input<typeof admissionPolicy>;
type Sensitivity = z.input<typeof sensitivity>;

interface Desired {
  sensitivity: Sensitivity;
  datastores?: string[];
  options?: Record<string, string>;
  isolationResponse?: "none" | "powerOff" | "shutdown";
  policy: Policy;
  overrides: Array<{
    name: string;
    vm: string;
    restartPriority?: "low" | "high" | "cluster";
    adopt?: boolean;
  }>;
}

let desired: Desired;
const program = async () => {
  const cluster = new Cluster("prod", { datacenter: "DC0", name: "DC0_C0", adopt: true });
  const ha = new HaSettings("ha", {
    clusterId: cluster.clusterId,
    vmMonitoring: "vmAndApp",
    monitoringSensitivity: desired.sensitivity,
    isolationResponse: desired.isolationResponse,
    restartPriority: "high",
    isolationAddresses: ["192.0.2.10", "192.0.2.11"],
    advancedOptions: desired.options ?? { "das.maxresets": "4" },
    heartbeatDatastores: desired.datastores
      ? { policy: "userSelectedDs", datastores: desired.datastores }
      : undefined,
    vmComponentProtection: {
      enabled: true,
      apdResponse: "restartConservative",
      pdlResponse: "restartAggressive",
    },
  });
  const ac = new AdmissionControl("admission", {
    clusterId: cluster.clusterId,
    policy: desired.policy,
    performanceDegradationTolerance: 80,
  });
  const out: Record<string, pulumi.Output<unknown>> = {
    clusterId: cluster.clusterId,
    hostIds: cluster.hostIds,
    haClusterName: ha.clusterName,
    retainedPolicy: ac.retainedPolicy,
  };
  for (const o of desired.overrides) {
    const v = new VmOverride(o.name, {
      clusterId: cluster.clusterId,
      vm: o.vm,
      restartPriority: o.restartPriority,
      adopt: o.adopt,
    });
    out[`${o.name}VmId`] = v.vmId;
  }
  return out;
};

describe("vSphere HA through the engine (dassim)", () => {
  let sim: Vcsim;
  let s: TestStack;
  let second: VimClient;
  let clusterId: string;

  const das = async () => {
    const p = await retrieve(second, { type: "ClusterComputeResource", value: clusterId }, [
      "configurationEx",
    ]);
    return { das: parseDasConfig(child(p["configurationEx"], "dasConfig")), cfg: p["configurationEx"] };
  };

  before(async () => {
    sim = await startVcsim({ vms: 2 });
    const { "vmha:vspherePassword": password, ...plain } = sim.config;
    s = await inlineStack("vsphere-ha", program, plain);
    await s.stack.setConfig("vmha:vspherePassword", { value: password ?? "", secret: true });
    const settings = connectionSettings({ get: (k) => sim.config[k] });
    second = new VimClient(settings, agentFor(settings)); // a second client, outside Pulumi
  });
  after(async () => {
    try {
      await s?.dispose();
    } finally {
      await sim?.stop();
    }
  });

  it("adopts a cluster and applies HA, admission control and VM overrides", async () => {
    desired = {
      sensitivity: "low",
      policy: { type: "hostFailures", hostFailuresToTolerate: 1, slotSize: { cpuMhz: 500, memoryMb: 1024 } },
      overrides: [
        { name: "web", vm: "DC0/vm/DC0_C0_RP0_VM0", restartPriority: "high" },
        { name: "db", vm: "DC0/vm/DC0_C0_RP0_VM1", restartPriority: "low" },
      ],
    };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const outs = await outputs(s);
    clusterId = outs.clusterId as string;
    assert.match(clusterId, /^domain-c\d+$/);
    assert.equal((outs.hostIds as string[]).length, 2);
    assert.equal(outs.haClusterName, "DC0_C0");
    const { das: d, cfg } = await das();
    assert.equal(d.enabled, true);
    assert.equal(d.vmMonitoring, "vmAndAppMonitoring");
    assert.equal(d.vmComponentProtecting, "enabled");
    assert.deepEqual(d.defaultVmSettings?.vmToolsMonitoringSettings?.failureInterval, 120);
    assert.equal(d.defaultVmSettings?.vmToolsMonitoringSettings?.maxFailureWindow, 7 * 24 * 3600);
    assert.equal(d.defaultVmSettings?.isolationResponse, "powerOff", "the API default isolation response");
    assert.equal(
      d.defaultVmSettings?.vmComponentProtectionSettings?.vmStorageProtectionForAPD,
      "restartConservative",
    );
    assert.deepEqual(d.option?.map((x) => `${x.key}=${x.value}`).sort(), [
      "das.isolationaddress0=192.0.2.10",
      "das.isolationaddress1=192.0.2.11",
      "das.maxresets=4",
      "das.usedefaultisolationaddress=false",
    ]);
    assert.deepEqual(d.admissionControlPolicy, {
      type: "ClusterFailoverLevelAdmissionControlPolicy",
      resourceReductionToToleratePercent: 80,
      failoverLevel: 1,
      slotPolicy: { cpu: 500, memory: 1024 },
    });
    const overrides = (child(cfg, "dasVmConfig") as unknown[] | undefined) ?? [];
    assert.equal(Array.isArray(overrides) ? overrides.length : 1, 2);
  });

  it("a refresh right after up finds no drift (every field reads back as written)", async () => {
    const r = await refresh(s);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(drifted(r), []);
  });

  for (const preset of ["medium", "high"] as const) {
    it(`updates the monitoring sensitivity in place to ${preset}`, async () => {
      desired = { ...desired, sensitivity: preset };
      const o = await up(s);
      assert.equal(o.error, undefined, o.error);
      assert.deepEqual(o.ops.get("ha"), ["update"]);
      assert.deepEqual(diffsOf(o, "ha"), ["monitoringSensitivity"]);
      assert.deepEqual(o.ops.get("admission"), ["same"], "HaSettings must not disturb admission control");
      const t = (await das()).das.defaultVmSettings?.vmToolsMonitoringSettings;
      const want = preset === "medium" ? [60, 240, 86400] : [30, 120, 3600];
      assert.deepEqual([t?.failureInterval, t?.minUpTime, t?.maxFailureWindow], want);
    });
  }

  it("takes custom sensitivity values", async () => {
    desired = {
      ...desired,
      sensitivity: { failureInterval: 45, minUpTime: 300, maxFailures: 5, maxFailureWindow: -1 },
    };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const t = (await das()).das.defaultVmSettings?.vmToolsMonitoringSettings;
    assert.deepEqual(
      [t?.failureInterval, t?.minUpTime, t?.maxFailures, t?.maxFailureWindow],
      [45, 300, 5, -1],
    );
  });

  it("selects heartbeat datastores and removes a das.* option that left the program", async () => {
    const ds = await findByInventoryPath(second, "DC0/datastore/LocalDS_0");
    assert.ok(ds, "dassim has LocalDS_0");
    desired = { ...desired, datastores: [ds.value], options: { "das.respectvmvmantiaffinityrules": "true" } };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(diffsOf(o, "ha"), ["advancedOptions", "heartbeatDatastores"]);
    const d = (await das()).das;
    assert.equal(d.hBDatastoreCandidatePolicy, "userSelectedDs");
    assert.deepEqual(d.heartbeatDatastore, [{ type: "Datastore", value: ds.value }]);
    assert.deepEqual(
      d.option?.map((x) => x.key).filter((k) => !/isolationaddress/.test(k)),
      ["das.respectvmvmantiaffinityrules"],
    );
    const r = await refresh(s);
    assert.deepEqual(drifted(r), []);
  });

  const policies: Array<[string, Policy, (d: Awaited<ReturnType<typeof das>>["das"]) => void]> = [
    [
      "explicit percentages",
      { type: "percentage", cpuPercent: 25, memoryPercent: 30 },
      (d) => {
        assert.equal(d.admissionControlPolicy?.type, "ClusterFailoverResourcesAdmissionControlPolicy");
        const p = d.admissionControlPolicy as {
          cpuFailoverResourcesPercent: number;
          autoComputePercentages?: boolean;
        };
        assert.equal(p.cpuFailoverResourcesPercent, 25);
        assert.equal(p.autoComputePercentages, false);
      },
    ],
    [
      "percentages computed from host failures",
      { type: "percentage", hostFailuresToTolerate: 1 },
      (d) => {
        const p = d.admissionControlPolicy as { autoComputePercentages?: boolean; failoverLevel?: number };
        assert.equal(p.autoComputePercentages, true);
        assert.equal(p.failoverLevel, 1);
      },
    ],
    [
      "dedicated failover hosts",
      { type: "dedicatedHosts", hosts: ["HOST0"] },
      (d) => assert.equal(d.admissionControlPolicy?.type, "ClusterFailoverHostAdmissionControlPolicy"),
    ],
    [
      "disabled (vCenter keeps the old policy)",
      { type: "disabled" },
      (d) => {
        assert.equal(d.admissionControlEnabled, false);
        assert.equal(d.admissionControlPolicy?.type, "ClusterFailoverHostAdmissionControlPolicy");
      },
    ],
  ];
  for (const [label, policy, verify] of policies) {
    it(`switches admission control in place to ${label}`, async () => {
      const outs = await outputs(s);
      const p =
        policy.type === "dedicatedHosts"
          ? { ...policy, hosts: [(outs.hostIds as string[])[0] as string] }
          : policy;
      desired = { ...desired, policy: p };
      const o = await up(s);
      assert.equal(o.error, undefined, o.error);
      assert.deepEqual(o.ops.get("admission"), ["update"]);
      assert.deepEqual(o.ops.get("ha"), ["same"], "AdmissionControl must not disturb HaSettings");
      verify((await das()).das);
      const r = await refresh(s);
      assert.deepEqual(drifted(r), [], "the policy must read back as declared");
    });
  }

  it("reports the policy vCenter retains while admission control is disabled", async () => {
    const outs = await outputs(s);
    assert.match(String(outs.retainedPolicy), /"type":"dedicatedHosts"/);
  });

  it("updates a VM override in place and replaces it when the VM changes", async () => {
    desired = {
      ...desired,
      overrides: [
        { name: "web", vm: "DC0/vm/DC0_C0_RP0_VM0", restartPriority: "cluster" },
        { name: "db", vm: "DC0/vm/DC0_H0_VM0", restartPriority: "low" },
      ],
    };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("web"), ["update"]);
    assert.deepEqual(o.ops.get("db"), ["delete-replaced", "replace", "create-replacement"]);
  });

  it("reports drift made by a second client (npm run drift exits 7) and up corrects it", async () => {
    await runTask(
      second,
      "ReconfigureComputeResource_Task",
      { type: "ClusterComputeResource", value: clusterId },
      {
        spec: clusterSpecXml({
          dasConfig: { defaultVmSettings: { isolationResponse: "none" }, hostMonitoring: "disabled" },
        }),
        modify: true,
      },
      "change HA outside Pulumi",
    );
    const cli = path.join(ROOT, "dist", "provider", "core", "drift", "cli.js");
    const r = spawnSync(
      process.execPath,
      [cli, "--stack", s.stack.name, "--cwd", s.stack.workspace.workDir, "--quiet"],
      {
        encoding: "utf8",
        env: { ...process.env, ...envFor(s.stateDir) },
      },
    );
    assert.equal(r.status, 7, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^drift: .*HaSettings ha: .*hostMonitoring.*isolationResponse/m);
    assert.doesNotMatch(r.stdout, /VmOverride|AdmissionControl/);
    // CI's answer to drift: `pulumi up --refresh` (refresh, then up).
    const rf = await refresh(s);
    assert.deepEqual(drifted(rf), ["ha"]);
    const o = await up(s);
    assert.deepEqual(o.ops.get("ha"), ["update"]);
    assert.equal(o.error, undefined, o.error);
    const d = (await das()).das;
    assert.equal(d.hostMonitoring, "enabled");
    assert.equal(d.defaultVmSettings?.isolationResponse, "powerOff");
  });

  it("reports a VM override removed outside Pulumi and recreates it", async () => {
    const outs = await outputs(s);
    await runTask(
      second,
      "ReconfigureComputeResource_Task",
      { type: "ClusterComputeResource", value: clusterId },
      {
        spec: clusterSpecXml({
          dasVmConfigSpec: [
            { operation: "remove", vm: { type: "VirtualMachine", value: outs.webVmId as string } },
          ],
        }),
        modify: true,
      },
      "remove override outside Pulumi",
    );
    const r = await refresh(s);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(r.ops.get("web"), ["refresh"]);
    const o = await up(s);
    assert.deepEqual(o.ops.get("web"), ["create"]);
  });

  it("refuses an override the VM already has, and takes it over with adopt", async () => {
    const vm = await findByInventoryPath(second, "DC0/vm/DC0_C0_RP0_VM1");
    assert.ok(vm);
    await runTask(
      second,
      "ReconfigureComputeResource_Task",
      { type: "ClusterComputeResource", value: clusterId },
      {
        spec: clusterSpecXml({
          dasVmConfigSpec: [{ operation: "add", vm, settings: { restartPriority: "lowest" } }],
        }),
        modify: true,
      },
      "add override outside Pulumi",
    );
    const keep = desired.overrides;
    desired = {
      ...desired,
      overrides: [...keep, { name: "legacy", vm: "DC0/vm/DC0_C0_RP0_VM1", restartPriority: "high" }],
    };
    const refused = await up(s);
    assert.match(refused.error ?? "", /already has an HA override .*set adopt: true/);
    desired = {
      ...desired,
      overrides: [
        ...keep,
        { name: "legacy", vm: "DC0/vm/DC0_C0_RP0_VM1", restartPriority: "high", adopt: true },
      ],
    };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(o.ops.get("legacy"), ["create"]);
    const r = await refresh(s);
    assert.deepEqual(drifted(r), [], "the adopted override reads back as declared (restartPriority high)");
  });

  it("destroy turns HA off, removes the overrides it made, releases the adopted ones and the adopted cluster", async () => {
    desired = { ...desired, overrides: [] };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const d1 = await das();
    const legacy = await findByInventoryPath(second, "DC0/vm/DC0_C0_RP0_VM1");
    // The override taken over with adopt: true was made outside Pulumi: released, not removed.
    const left = parseDasVmConfigs(d1.cfg).map((x) => x.key.value);
    assert.deepEqual(left, [legacy?.value], "only the adopted VM override is left");
    await s.stack.destroy({ onOutput: () => {} });
    const d2 = await das();
    assert.equal(d2.das.enabled, false);
    assert.equal(d2.das.admissionControlEnabled, true, "admission control back to vSphere's default");
    const still = await retrieve(second, { type: "ClusterComputeResource", value: clusterId }, ["name"]);
    assert.equal(child(still, "name") !== undefined, true, "the adopted cluster still exists");
  });
});
