// vsphere.Cluster adopting by existingId on dassim (review finding 16): only a missing cluster is
// "not found"; a login failure keeps its own message (it read "cluster … not found" before).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { definition as cluster } from "../../../provider/vsphere/resources/cluster";
import { clusterSchema } from "../../../provider/vsphere/resources/cluster.schema";
import { opContext } from "../../support/vsphere/context";
import { startVcsim, type Vcsim } from "../../support/vsphere/vcsim";

describe("vsphere.Cluster adopt by existingId (finding 16)", () => {
  let sim: Vcsim;
  before(async () => {
    sim = await startVcsim({ vms: 0 });
  });
  after(async () => sim?.stop());

  const inputs = (existingId: string) =>
    clusterSchema.inputs.parse({ datacenter: "DC0", name: "DC0_C0", adopt: true, existingId });

  it("a wrong password is reported as a failed login, not as a missing cluster", async () => {
    const ctx = opContext({ ...sim.config, "vmha:vspherePassword": "wrong" });
    await assert.rejects(cluster.create(inputs("domain-c7"), ctx), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /login to .* failed: invalid user name or password/);
      assert.doesNotMatch(e.message, /not found/);
      return true;
    });
  });

  it("an id no cluster has is still 'not found', with what existingId should be", async () => {
    await assert.rejects(
      cluster.create(inputs("domain-c999"), opContext(sim.config)),
      /cluster domain-c999 not found in vCenter .*adopt needs an existing cluster \(existingId is the cluster's managed-object id/,
    );
  });
});
