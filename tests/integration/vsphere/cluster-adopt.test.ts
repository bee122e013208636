// vsphere.Cluster adopting by existingId on dassim (review finding 16): only a missing cluster is
// "not found"; a permission fault keeps its own message (it read "cluster … not found" before).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { clientFor } from "../../../provider/vsphere/client/session";
import { connectionSettings } from "../../../provider/vsphere/client/settings";
import * as transport from "../../../provider/vsphere/client/transport";
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

  it("a permission fault on the cluster is reported as such, not as a missing cluster", async (t) => {
    const c = clientFor(connectionSettings({ get: (k) => sim.config[k] }));
    const sc = await c.session();
    const found = (await c.invoke("FindByInventoryPath", sc.searchIndex, {
      inventoryPath: "DC0/host/DC0_C0",
    })) as Record<string, unknown>;
    const id = String(found["#text"]);
    // vCenter answers the read of that cluster with NoPermission (a role without System.Read on it).
    const original = transport.post;
    (transport as { post: typeof transport.post }).post = async (...args) => {
      if (args[2].includes(`type="ClusterComputeResource">${id}<`)) {
        return {
          status: 500,
          body:
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
            `<soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Permission to perform this operation was denied.</faultstring><detail><NoPermissionFault xsi:type="NoPermission"><object type="ClusterComputeResource">${id}</object><privilegeId>System.Read</privilegeId></NoPermissionFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`,
        };
      }
      return original(...args);
    };
    t.after(() => {
      (transport as { post: typeof transport.post }).post = original;
    });
    await assert.rejects(cluster.create(inputs(id), opContext(sim.config)), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(e.message, /lacks the privilege System\.Read on ClusterComputeResource/);
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
