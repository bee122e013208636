// The HaCluster component through the real engine: one resource for a production-shaped cluster
// (N+1, S2D, CSVs, CAU) and vm() for highly available VMs on it, all parented to the component.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HaCluster } from "../../../sdk/hyperv";
import { destroy, inlineStack, outputs, type TestStack, up } from "../../support/engine";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";

describe("HaCluster component", () => {
  let sim: Sim;
  let s: TestStack;
  before(async () => {
    sim = newSim({ vms: { web1: 4, web2: 4 } });
    sim.activate();
    s = await inlineStack("hyperv-ha-cluster", async () => {
      const prod = new HaCluster("prod", {
        name: "PROD",
        nodes: ["HV1", "HV2", "HV3"],
        staticAddresses: ["192.168.1.210"],
        quorum: { type: "fileShare", path: "\\\\fs01\\prod-witness" },
        volumes: [
          { name: "VMs", sizeGb: 2048 },
          { name: "Logs", sizeGb: 256, resiliency: "Parity" },
        ],
        updating: { daysOfWeek: ["Sunday"], maxFailedNodes: 1 },
      });
      for (const vm of ["web1", "web2"]) {
        prod.vm(vm, { vmName: vm, antiAffinityClassNames: ["web"], monitoredServices: ["W3SVC"] });
      }
      return { paths: prod.volumePaths, failuresToTolerate: prod.cluster.failuresToTolerate };
    });
  });
  after(async () => {
    await s?.dispose();
    sim?.dispose();
  });

  it("creates the cluster, storage, volumes, CAU and VM roles under one component", async () => {
    const o = await up(s);
    assert.equal(o.error, undefined, `${o.error}\n${o.diagnostics.join("\n")}`);
    const c = sim.world().clusters["PROD"]!;
    assert.deepEqual(Object.keys(c.groups).sort(), ["web1", "web2"]);
    assert.deepEqual(c.groups["web1"]!.antiAffinityClassNames, ["web"]);
    assert.equal(c.virtualDisks["Logs"]?.resiliency, "Parity");
    assert.deepEqual(c.cau?.daysOfWeek, ["Sunday"]);
    assert.deepEqual(await outputs(s), {
      paths: { VMs: "C:\\ClusterStorage\\VMs", Logs: "C:\\ClusterStorage\\Logs" },
      failuresToTolerate: 1,
    });
    const urns = o.events.flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata.urn] : []));
    const children = urns.filter((u) => u.includes("vmha:hyperv:HaCluster$"));
    assert.equal(children.length, 7, children.join("\n")); // cluster, s2d, 2 volumes, cau, 2 VM roles
  });

  it("destroys it all", async () => {
    const o = await destroy(s);
    assert.equal(o.error, undefined, o.error);
    assert.deepEqual(sim.world().clusters, {});
  });
});
