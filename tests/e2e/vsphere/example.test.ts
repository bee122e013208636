// examples/vsphere-ha runs through vmha's language host against dassim, as `pulumi up` would.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  destroy,
  drifted,
  outputs,
  programStack,
  ROOT,
  refresh,
  stateText,
  type TestStack,
  up,
} from "../../support/engine";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

const EXAMPLE = path.join(ROOT, "examples", "vsphere-ha");

describe("examples/vsphere-ha on dassim", () => {
  let sim: Vcsim;
  let s: TestStack;
  before(async () => {
    sim = await startVcsim({ vms: 2 });
    const { "vmha:vspherePassword": password, ...plain } = sim.config;
    s = await programStack(EXAMPLE, {
      ...plain,
      clusterName: "DC0_C0",
      adopt: "true",
      criticalVms: JSON.stringify(["DC0/vm/DC0_C0_RP0_VM0", "DC0/vm/DC0_C0_RP0_VM1"]),
      sensitivity: "high",
    });
    await s.stack.setConfig("vmha:vspherePassword", { value: password ?? "", secret: true });
  });
  after(async () => {
    try {
      await s?.dispose();
    } finally {
      await sim?.stop();
    }
  });

  it("runs up and exports the cluster and the protected VMs", async () => {
    const o = await up(s);
    assert.equal(o.error, undefined, o.error);
    const outs = await outputs(s);
    assert.match(String(outs.clusterId), /^domain-c\d+$/);
    assert.equal(outs.haCluster, "DC0_C0");
    assert.deepEqual(outs.protectedVms, ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"]);
    assert.ok(!stateText(s).includes(sim.password), "the vCenter password leaked into the state file");
  });

  it("reads back exactly what it wrote", async () => {
    const r = await refresh(s);
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(drifted(r), []);
  });

  it("destroys cleanly", async () => {
    const o = await destroy(s);
    assert.equal(o.error, undefined, o.error);
  });
});
