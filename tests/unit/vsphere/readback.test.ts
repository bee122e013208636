// The read-back review (2026-12-vsphere-readback.md) findings 1, 2, 4 and 5, on the pure mappings:
// what vCenter does not keep is never compared, API defaults read as defaults, dedicated hosts do
// not set the failures to tolerate, and a write vCenter did not take is named field by field.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { admissionToDas, dasToAdmission, policyFromApi } from "../../../provider/vsphere/mapping/admission";
import { dasToHa, haToDas } from "../../../provider/vsphere/mapping/ha";
import { admissionWriteProblems, haWriteProblems } from "../../../provider/vsphere/mapping/verify";
import { admissionControlSchema } from "../../../provider/vsphere/resources/admission-control.schema";
import { haSettingsSchema } from "../../../provider/vsphere/resources/ha-settings.schema";

const C = "domain-c7";

describe("vSphere read-back (review findings 1-5)", () => {
  it("1: apdTimeoutForHosts is write-only: the declared value stands on read (vCenter does not persist it)", () => {
    const declared = haSettingsSchema.inputs.parse({
      clusterId: C,
      vmComponentProtection: { enabled: true, apdTimeoutForHosts: true },
    });
    const sent = haToDas(declared);
    assert.equal(sent.defaultVmSettings?.vmComponentProtectionSettings?.enableAPDTimeoutForHosts, true);
    // What a real vCenter returns: everything but enableAPDTimeoutForHosts.
    const kept = structuredClone(sent);
    delete kept.defaultVmSettings?.vmComponentProtectionSettings?.enableAPDTimeoutForHosts;
    const back = dasToHa(C, kept, declared);
    assert.equal(back.vmComponentProtection.apdTimeoutForHosts, true);
    assert.deepEqual(back, { ...declared, advancedOptions: {}, isolationAddresses: [] });
    // A value vCenter does return is not what decides it either.
    assert.equal(
      dasToHa(C, sent, {
        ...declared,
        vmComponentProtection: { ...declared.vmComponentProtection, apdTimeoutForHosts: false },
      }).vmComponentProtection.apdTimeoutForHosts,
      false,
    );
  });

  it("2: a percentage policy with autoComputePercentages unset reads as automatic (the API default is true)", () => {
    const p = policyFromApi({
      type: "ClusterFailoverResourcesAdmissionControlPolicy",
      cpuFailoverResourcesPercent: 50,
      memoryFailoverResourcesPercent: 50,
      failoverLevel: 2,
    });
    assert.deepEqual(p, { type: "percentage", hostFailuresToTolerate: 2 });
    const explicit = policyFromApi({
      type: "ClusterFailoverResourcesAdmissionControlPolicy",
      cpuFailoverResourcesPercent: 25,
      memoryFailoverResourcesPercent: 30,
      autoComputePercentages: false,
    });
    assert.deepEqual(explicit, { type: "percentage", cpuPercent: 25, memoryPercent: 30 });
  });

  it("4: dedicatedHosts sends the failures to tolerate (default 1), not the number of hosts, and reads it back", () => {
    const i = admissionControlSchema.inputs.parse({
      clusterId: C,
      policy: { type: "dedicatedHosts", hosts: ["host-21", "host-22", "host-23"] },
    });
    const d = admissionToDas(i);
    assert.equal(d.admissionControlPolicy?.type, "ClusterFailoverHostAdmissionControlPolicy");
    assert.equal((d.admissionControlPolicy as { failoverLevel?: number }).failoverLevel, 1);
    assert.deepEqual(dasToAdmission(C, d).inputs, i);
    const two = admissionControlSchema.inputs.parse({
      clusterId: C,
      policy: { type: "dedicatedHosts", hosts: ["host-21"], hostFailuresToTolerate: 2 },
    });
    assert.equal((admissionToDas(two).admissionControlPolicy as { failoverLevel?: number }).failoverLevel, 2);
    assert.deepEqual(dasToAdmission(C, admissionToDas(two)).inputs, two);
  });

  it("5: an option vCenter keeps with an empty value reads as removed (no endless drift)", () => {
    const back = dasToHa(C, {
      option: [
        { key: "das.maxresets", value: "" },
        { key: "das.isolationaddress0", value: "" },
      ],
    });
    assert.deepEqual(back.advancedOptions, {});
    assert.deepEqual(back.isolationAddresses, []);
  });

  it("5: a removed option, a heartbeat list or a slot size vCenter kept is named, with what was written", () => {
    const declared = haSettingsSchema.inputs.parse({
      clusterId: C,
      advancedOptions: { "das.maxresets": "4" },
    });
    const live = haSettingsSchema.inputs.parse({
      clusterId: C,
      advancedOptions: { "das.maxresets": "4", "das.slotcpuinmhz": "64" },
      heartbeatDatastores: { policy: "allFeasibleDsWithUserPreference", datastores: ["datastore-15"] },
    });
    const problems = haWriteProblems(declared, live, [
      { key: "das.maxresets", value: "4" },
      { key: "das.slotcpuinmhz", value: "" },
    ]);
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.match(
      problems[0] ?? "",
      /advanced option das\.slotcpuinmhz is still "64" although vmha sent it empty/,
    );
    assert.match(
      problems[1] ?? "",
      /heartbeatDatastores\.datastores read \["datastore-15"\] after vmha wrote \[\]/,
    );
    assert.deepEqual(haWriteProblems(declared, declared, [{ key: "das.maxresets", value: "4" }]), []);

    const slot = admissionWriteProblems(
      { type: "hostFailures", hostFailuresToTolerate: 1 },
      { type: "hostFailures", hostFailuresToTolerate: 1, slotSize: { cpuMhz: 500, memoryMb: 1024 } },
    );
    assert.deepEqual(slot, [
      'policy.slotSize reads {"cpuMhz":500,"memoryMb":1024} after vmha wrote it unset',
    ]);
    assert.deepEqual(
      admissionWriteProblems(
        { type: "percentage", hostFailuresToTolerate: 1 },
        { type: "percentage", hostFailuresToTolerate: 1 },
      ),
      [],
    );
  });
});
