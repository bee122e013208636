// The read-back review's findings through the real engine, on dassim in -modify-strict mode: vim25's
// "an unset property has no effect" (modify=true) taken literally, which is what a real vCenter
// may do for the three encodings no simulator can prove. vmha must either read the result back
// correctly or fail naming the field; never report success and then drift forever.
//  - apdTimeoutForHosts: true is not persisted (dassim drops it, as vCenter does): no drift (1);
//  - an option removed by sending it empty, kept by vCenter with an empty value: no drift (5);
//  - heartbeat datastores cleared, or a slot size removed, kept by vCenter: `up` fails naming
//    the field and what to do (5).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { z } from "zod";
import { findByInventoryPath } from "../../../provider/vsphere/client/inventory";
import { VimClient } from "../../../provider/vsphere/client/session";
import { connectionSettings } from "../../../provider/vsphere/client/settings";
import { agentFor } from "../../../provider/vsphere/client/transport";
import type { admissionPolicy } from "../../../provider/vsphere/resources/admission-control.schema";
import { AdmissionControl, Cluster, HaSettings } from "../../../sdk/vsphere";
import { drifted, inlineStack, refresh, type TestStack, up } from "../../support/engine";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

interface Desired {
  options: Record<string, string>;
  datastores: string[];
  policy: z.input<typeof admissionPolicy>;
}

let desired: Desired;
const program = async () => {
  const cluster = new Cluster("prod", { datacenter: "DC0", name: "DC0_C0", adopt: true });
  new HaSettings("ha", {
    clusterId: cluster.clusterId,
    advancedOptions: desired.options,
    heartbeatDatastores: { policy: "allFeasibleDsWithUserPreference", datastores: desired.datastores },
    vmComponentProtection: { enabled: true, apdResponse: "warning", apdTimeoutForHosts: true },
  });
  new AdmissionControl("admission", { clusterId: cluster.clusterId, policy: desired.policy });
  return {};
};

describe("vSphere read-back on a vCenter that keeps what modify=true leaves unset (dassim -modify-strict)", () => {
  let sim: Vcsim;
  let s: TestStack;
  let ds: string;

  before(async () => {
    sim = await startVcsim({ strictModify: true, vms: 0 });
    const { "vmha:vspherePassword": password, ...plain } = sim.config;
    s = await inlineStack("vsphere-readback", program, plain);
    await s.stack.setConfig("vmha:vspherePassword", { value: password ?? "", secret: true });
    const settings = connectionSettings({ get: (k) => sim.config[k] });
    const found = await findByInventoryPath(
      new VimClient(settings, agentFor(settings)),
      "DC0/datastore/LocalDS_0",
    );
    assert.ok(found, "dassim has LocalDS_0");
    ds = found.value;
  });
  after(async () => {
    try {
      await s?.dispose();
    } finally {
      await sim?.stop();
    }
  });

  it("1: apdTimeoutForHosts (not persisted by vCenter) reads back without drift", async () => {
    desired = {
      options: { "das.maxresets": "4" },
      datastores: [ds],
      policy: { type: "hostFailures", hostFailuresToTolerate: 1, slotSize: { cpuMhz: 500, memoryMb: 1024 } },
    };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const r = await refresh(s);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(drifted(r), []);
  });

  it("5: an option vCenter keeps with an empty value after its removal reads as removed (no drift)", async () => {
    desired = { ...desired, options: {} };
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const r = await refresh(s);
    assert.deepEqual(drifted(r), []);
  });

  it("5: heartbeat datastores vCenter kept after they were cleared fail the update, naming the field", async () => {
    desired = { ...desired, datastores: [] };
    const o = await up(s);
    assert.match(
      o.error ?? "",
      /HaSettings of cluster DC0_C0 \(domain-c\d+\): vCenter did not keep what vmha wrote: heartbeatDatastores\.datastores read \["datastore-\d+"\] after vmha wrote \[\]/,
    );
    assert.match(o.error ?? "", /vSphere Client .*pulumi up --refresh/);
    desired = { ...desired, datastores: [ds] };
  });

  it("5: a slot size vCenter kept after it was removed fails the update, naming the field", async () => {
    desired = { ...desired, policy: { type: "hostFailures", hostFailuresToTolerate: 1 } };
    const o = await up(s);
    assert.match(
      o.error ?? "",
      /AdmissionControl of cluster DC0_C0 .*policy\.slotSize reads \{"cpuMhz":500,"memoryMb":1024\} after vmha wrote it unset/,
    );
  });
});
