// The same reads against PowerShell 7 output (ISO dates instead of 5.1's /Date(ms)/).
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { definition as cau } from "../../../provider/hyperv/resources/cluster-aware-updating";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { closeSessions } from "../../../provider/hyperv/session";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";

describe("PowerShell 7 output flavor", () => {
  let sim: Sim;
  const ctx = testContext();
  before(() => {
    sim = newSim({ featureInstalled: true });
    sim.activate();
    process.env.WSFC_SIM_FLAVOR = "7";
  });
  after(async () => {
    await closeSessions();
    delete process.env.WSFC_SIM_FLAVOR;
    sim.dispose();
  });

  it("reads the CAU start date and node states the same way", async () => {
    const ci = cluster.inputs.parse({
      name: "P7",
      nodes: ["HV1", "HV2"],
      runValidation: false,
      heartbeat: { crossSubnetDelayMs: 3000 },
    });
    const c = await cluster.create(ci, ctx);
    const inputs = cau.inputs.parse({
      cluster: "P7",
      daysOfWeek: ["Monday"],
      startDate: "2027-01-04T02:30:00Z",
    });
    const r = await cau.create(inputs, ctx);
    assert.deepEqual((await cau.read("P7", { inputs, outputs: r.outputs }, ctx))?.inputs, inputs);
    assert.deepEqual((await cluster.read("P7", { inputs: ci, outputs: c.outputs }, ctx))?.inputs, ci);
    assert.ok((sim.world().journal ?? []).length > 0);
  });
});
