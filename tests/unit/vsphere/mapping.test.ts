// Pure mappings: HaSettings / AdmissionControl / VmOverride inputs <-> dasConfig, and back.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as fc from "fast-check";
import { isMoid } from "../../../provider/vsphere/client/inventory";
import { encode, parseXml } from "../../../provider/vsphere/client/xml";
import { admissionToDas, dasToAdmission } from "../../../provider/vsphere/mapping/admission";
import { dasConfigXml, parseDasConfig } from "../../../provider/vsphere/mapping/das";
import {
  dasToHa,
  haToDas,
  optionChanges,
  sensitivityValues,
  vmMonitoringFromApi,
} from "../../../provider/vsphere/mapping/ha";
import { overrideToSettings, settingsToOverride } from "../../../provider/vsphere/mapping/override";
import { admissionControlSchema } from "../../../provider/vsphere/resources/admission-control.schema";
import { haSettingsSchema } from "../../../provider/vsphere/resources/ha-settings.schema";
import { vmOverrideSchema } from "../../../provider/vsphere/resources/vm-override.schema";

const C = "domain-c7";

/** Encode a dasConfig to XML and parse it back, as a round trip through vCenter would. */
function viaXml(d: ReturnType<typeof haToDas>) {
  const doc = parseXml(encode("dasConfig", dasConfigXml(d)));
  return parseDasConfig(doc["dasConfig"]);
}

describe("HaSettings mapping", () => {
  it("uses the vSphere API's defaults", () => {
    const i = haSettingsSchema.inputs.parse({ clusterId: C });
    assert.equal(i.isolationResponse, "powerOff");
    assert.equal(i.vmComponentProtection.enabled, false);
    assert.equal(i.restartPriority, "medium");
    assert.equal(i.restartPriorityTimeout, 600);
    assert.equal(i.heartbeatDatastores.policy, "allFeasibleDsWithUserPreference");
    assert.deepEqual(i.monitoringSensitivity, {
      failureInterval: 30,
      minUpTime: 120,
      maxFailures: 3,
      maxFailureWindow: -1,
    });
    // An empty dasConfig (nothing recorded) reads back as exactly those defaults.
    assert.deepEqual(dasToHa(C, {}), { ...i, enabled: false });
  });

  it("maps each sensitivity preset to the vSphere values", () => {
    assert.deepEqual(sensitivityValues("low"), {
      failureInterval: 120,
      minUpTime: 480,
      maxFailures: 3,
      maxFailureWindow: 604800,
    });
    assert.deepEqual(sensitivityValues("medium"), {
      failureInterval: 60,
      minUpTime: 240,
      maxFailures: 3,
      maxFailureWindow: 86400,
    });
    assert.deepEqual(sensitivityValues("high"), {
      failureInterval: 30,
      minUpTime: 120,
      maxFailures: 3,
      maxFailureWindow: 3600,
    });
  });

  it("sends only HA fields: never admission control", () => {
    const d = haToDas(haSettingsSchema.inputs.parse({ clusterId: C }));
    assert.equal(d.admissionControlEnabled, undefined);
    assert.equal(d.admissionControlPolicy, undefined);
  });

  it("removes das.* options that are no longer declared by sending them empty", () => {
    assert.deepEqual(
      optionChanges(
        [{ key: "das.a", value: "1" }],
        [
          { key: "das.a", value: "0" },
          { key: "das.old", value: "x" },
          { key: "other", value: "y" },
        ],
      ),
      [
        { key: "das.a", value: "1" },
        { key: "das.old", value: "" },
      ],
    );
  });

  it("reads back every field it writes (property: any valid inputs round-trip through XML)", () => {
    const sens = fc.oneof(
      fc.constantFrom("low", "medium", "high"),
      fc.record({
        failureInterval: fc.integer({ min: 1, max: 1000 }),
        minUpTime: fc.integer({ min: 0, max: 1000 }),
        maxFailures: fc.integer({ min: 1, max: 10 }),
        maxFailureWindow: fc.constantFrom(-1, 100, 7200),
      }),
    );
    const inputs = fc.record({
      clusterId: fc.constant(C),
      enabled: fc.boolean(),
      hostMonitoring: fc.constantFrom("enabled", "disabled"),
      vmMonitoring: fc.constantFrom("disabled", "vmOnly", "vmAndApp"),
      monitoringSensitivity: sens,
      isolationResponse: fc.constantFrom("none", "powerOff", "shutdown"),
      restartPriority: fc.constantFrom("disabled", "lowest", "low", "medium", "high", "highest"),
      restartPriorityTimeout: fc.integer({ min: 0, max: 3600 }),
      heartbeatDatastores: fc.record({
        policy: fc.constantFrom("allFeasibleDs", "userSelectedDs", "allFeasibleDsWithUserPreference"),
        datastores: fc.constant(["datastore-1", "datastore-2"]),
      }),
      isolationAddresses: fc.array(fc.ipV4(), { maxLength: 3 }),
      advancedOptions: fc.dictionary(
        fc
          .stringMatching(/^das\.[a-z]{1,10}$/)
          .filter((k) => !/^das\.(isolationaddress\d*|usedefaultisolationaddress)$/.test(k)),
        fc.stringMatching(/^[a-z0-9&<>"' ]{0,7}[a-z0-9]$/),
        { maxKeys: 3 },
      ),
      vmComponentProtection: fc.record({
        enabled: fc.boolean(),
        apdResponse: fc.constantFrom("disabled", "warning", "restartConservative", "restartAggressive"),
        apdDelaySeconds: fc.integer({ min: 0, max: 600 }),
        apdRecovery: fc.constantFrom("none", "reset"),
        pdlResponse: fc.constantFrom("disabled", "warning", "restartAggressive"),
        apdTimeoutForHosts: fc.boolean(),
      }),
    });
    fc.assert(
      fc.property(inputs, (raw) => {
        const i = haSettingsSchema.inputs.parse(raw);
        // apdTimeoutForHosts is write-only (vCenter does not persist it): the declared value stands.
        assert.deepEqual(dasToHa(C, viaXml(haToDas(i)), i), i);
      }),
      { numRuns: 200 },
    );
  });
});

describe("AdmissionControl mapping", () => {
  const cases = [
    { type: "hostFailures", hostFailuresToTolerate: 2 },
    { type: "hostFailures", hostFailuresToTolerate: 1, slotSize: { cpuMhz: 500, memoryMb: 2048 } },
    { type: "percentage", cpuPercent: 25, memoryPercent: 30 },
    { type: "percentage", hostFailuresToTolerate: 2 },
    { type: "dedicatedHosts", hosts: ["host-1", "host-2"] },
  ] as const;
  for (const policy of cases) {
    it(`round-trips ${JSON.stringify(policy)}`, () => {
      const i = admissionControlSchema.inputs.parse({
        clusterId: C,
        policy,
        performanceDegradationTolerance: 70,
      });
      const d = admissionToDas(i);
      assert.equal(d.enabled, undefined, "admission control never touches HA fields");
      assert.deepEqual(dasToAdmission(C, viaXml(d)).inputs, i);
    });
  }

  it("sets autoComputePercentages only for percentages computed from host failures", () => {
    const auto = admissionToDas(
      admissionControlSchema.inputs.parse({
        clusterId: C,
        policy: { type: "percentage", hostFailuresToTolerate: 1 },
      }),
    );
    const manual = admissionToDas(
      admissionControlSchema.inputs.parse({
        clusterId: C,
        policy: { type: "percentage", cpuPercent: 10, memoryPercent: 10 },
      }),
    );
    assert.equal(
      (auto.admissionControlPolicy as { autoComputePercentages: boolean }).autoComputePercentages,
      true,
    );
    assert.equal(
      (manual.admissionControlPolicy as { autoComputePercentages: boolean }).autoComputePercentages,
      false,
    );
  });

  it("disabling keeps the old policy, and reading back reports it as retained", () => {
    const d = admissionToDas(
      admissionControlSchema.inputs.parse({ clusterId: C, policy: { type: "disabled" } }),
    );
    assert.deepEqual(d, { admissionControlEnabled: false });
    const back = dasToAdmission(C, {
      admissionControlEnabled: false,
      admissionControlPolicy: { type: "ClusterFailoverLevelAdmissionControlPolicy", failoverLevel: 2 },
    });
    assert.deepEqual(back.inputs.policy, { type: "disabled" });
    assert.deepEqual(JSON.parse(back.retainedPolicy ?? "null"), {
      type: "hostFailures",
      hostFailuresToTolerate: 2,
    });
  });

  it("rejects half-given or mixed percentage policies, naming the field", () => {
    const r1 = admissionControlSchema.inputs.safeParse({
      clusterId: C,
      policy: { type: "percentage", cpuPercent: 10 },
    });
    assert.equal(r1.success, false);
    assert.deepEqual(
      r1.error?.issues.map((i) => i.path.join(".")),
      ["policy.memoryPercent"],
    );
    const r2 = admissionControlSchema.inputs.safeParse({
      clusterId: C,
      policy: { type: "percentage", cpuPercent: 10, memoryPercent: 10, hostFailuresToTolerate: 1 },
    });
    assert.deepEqual(
      r2.error?.issues.map((i) => i.path.join(".")),
      ["policy.hostFailuresToTolerate"],
    );
  });
});

describe("VmOverride mapping", () => {
  for (const raw of [
    {
      restartPriority: "high",
      isolationResponse: "shutdown",
      vmMonitoring: "vmAndApp",
      monitoringSensitivity: "medium",
    },
    { restartPriority: "cluster", isolationResponse: "cluster", vmMonitoring: "cluster" },
    { restartPriority: "disabled", restartPriorityTimeout: 120, vmMonitoring: "disabled" },
  ] as const) {
    it(`round-trips ${JSON.stringify(raw)}`, () => {
      const i = vmOverrideSchema.inputs.parse({ clusterId: C, vm: "vm-1", ...raw });
      assert.deepEqual(
        { ...settingsToOverride({ clusterId: C, vm: "vm-1" }, overrideToSettings(i)), adopt: false },
        i,
      );
    });
  }

  it("uses vSphere's cluster* values for 'cluster'", () => {
    const s = overrideToSettings(vmOverrideSchema.inputs.parse({ clusterId: C, vm: "vm-1" }));
    assert.equal(s.restartPriority, "clusterRestartPriority");
    assert.equal(s.isolationResponse, "clusterIsolationResponse");
    assert.deepEqual(s.vmToolsMonitoringSettings, { clusterSettings: true });
  });
});

describe("read-back of values vmha does not know", () => {
  it("keeps them, so they show up as drift instead of reading as the default", () => {
    const i = dasToHa(C, { defaultVmSettings: { isolationResponse: "someFutureResponse" } });
    assert.equal(i.isolationResponse, "unknown:someFutureResponse");
  });

  it("vmMonitoring and every enum: unknown:<value>, never the default (finding 16: read as 'disabled')", () => {
    const i = dasToHa(C, {
      vmMonitoring: "vmMonitoringFuture",
      hostMonitoring: "sometimes",
      hBDatastoreCandidatePolicy: "newPolicy",
      defaultVmSettings: { restartPriority: "urgent" },
    });
    assert.equal(i.vmMonitoring, "unknown:vmMonitoringFuture");
    assert.equal(i.hostMonitoring, "unknown:sometimes");
    assert.equal(i.heartbeatDatastores.policy, "unknown:newPolicy");
    assert.equal(i.restartPriority, "unknown:urgent");
    assert.equal(vmMonitoringFromApi(undefined), "disabled", "unset is the API default");
    assert.equal(vmMonitoringFromApi("vmAndAppMonitoring"), "vmAndApp");
    const declared = haSettingsSchema.inputs.parse({ clusterId: C });
    assert.equal(
      haSettingsSchema.inputs.safeParse({ ...declared, vmMonitoring: i.vmMonitoring }).success,
      false,
    );
    assert.notDeepEqual(i.vmMonitoring, declared.vmMonitoring, "differs from any declared value: drift");
    const o = settingsToOverride(
      { clusterId: C, vm: "vm-1" },
      { vmToolsMonitoringSettings: { clusterSettings: false, vmMonitoring: "vmMonitoringFuture" } },
    );
    assert.equal(o.vmMonitoring, "unknown:vmMonitoringFuture");
  });
});

describe("heartbeat datastores are a set (finding 16: compared in vCenter's order)", () => {
  const declared = haSettingsSchema.inputs.parse({
    clusterId: C,
    heartbeatDatastores: {
      policy: "userSelectedDs",
      datastores: ["datastore-2", "datastore-1", "datastore-3"],
    },
  });
  it("read back in another order: the declared order (no drift)", () => {
    const live = dasToHa(
      C,
      {
        hBDatastoreCandidatePolicy: "userSelectedDs",
        heartbeatDatastore: ["datastore-1", "datastore-3", "datastore-2"].map((value) => ({
          type: "Datastore",
          value,
        })),
      },
      declared,
    );
    assert.deepEqual(live.heartbeatDatastores.datastores, ["datastore-2", "datastore-1", "datastore-3"]);
  });
  it("other members: the live list (drift)", () => {
    const live = dasToHa(
      C,
      {
        hBDatastoreCandidatePolicy: "userSelectedDs",
        heartbeatDatastore: ["datastore-1", "datastore-4", "datastore-2"].map((value) => ({
          type: "Datastore",
          value,
        })),
      },
      declared,
    );
    assert.deepEqual(live.heartbeatDatastores.datastores, ["datastore-1", "datastore-4", "datastore-2"]);
  });
});

describe("managed-object ids per type (finding 16: esx-01 and web-1 read as ids)", () => {
  it("matches each type's own pattern only", () => {
    assert.equal(isMoid("HostSystem", "host-21"), true);
    assert.equal(isMoid("VirtualMachine", "vm-42"), true);
    assert.equal(isMoid("Datastore", "datastore-15"), true);
    assert.equal(isMoid("ClusterComputeResource", "domain-c7"), true);
    for (const name of ["esx-01", "web-1", "vm-web1", "host-a1", "db-7"]) {
      assert.equal(isMoid("HostSystem", name), false, name);
      assert.equal(isMoid("VirtualMachine", name), false, name);
    }
    assert.equal(isMoid("VirtualMachine", "host-21"), false, "a host id is not a VM id");
    assert.equal(isMoid("SomethingElse", "host-21"), false);
  });
});
