// Injection through the real path: node-powershell -> the simulator process. Names and values
// holding quotes, $(…), backticks, semicolons, newlines and Unicode arrive as literal data, both
// as raw round trips and as the names of real cluster objects created by the resources.
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { emitJson, raw, str } from "../../../provider/hyperv/ps/script";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { definition as role } from "../../../provider/hyperv/resources/vm-role";
import { closeSessions, runScript } from "../../../provider/hyperv/session";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { nastyString } from "../../unit/hyperv/arbitraries";
import { testContext } from "./context";

const WEIRD = "VM 'a' $(Remove-Item C:\\ -Recurse) `n; \"q\" | calc & \n line2 \u2019smart\u2019 é 日本 😀";

describe("injection through node-powershell and the simulator", () => {
  let sim: Sim;
  const ctx = testContext();
  before(() => {
    sim = newSim({ vms: { [WEIRD]: 2 }, featureInstalled: true });
    sim.activate();
  });
  after(async () => {
    await closeSessions();
    sim.dispose();
  });

  it("round-trips arbitrary strings through one reused session", async () => {
    await fc.assert(
      fc.asyncProperty(nastyString, async (s) => {
        const out = await runScript({ shell: "pwsh", useSsl: false }, emitJson(raw(str(s))), "echo");
        assert.equal(JSON.parse(out), s);
      }),
      { numRuns: 300 },
    );
  });

  it("creates a VM role whose VM name and class names are hostile, exactly as given", async () => {
    await cluster.create(
      cluster.inputs.parse({
        name: "C1",
        nodes: ["HV1", "HV2"],
        runValidation: false,
        ignoreNetworks: ["10.99.0.0/16"],
        noStorage: true,
      }),
      ctx,
    );
    const c1 = sim.world().clusters["C1"]!;
    assert.deepEqual([c1.ignoreNetworks, c1.noStorage, c1.disks], [["10.99.0.0/16"], true, {}]);
    const inputs = role.inputs.parse({
      cluster: "C1",
      vmName: WEIRD,
      antiAffinityClassNames: ["'; Stop-Computer; '", "$(Get-Secret)", "tab\tand\r\nnewline"],
      monitoredServices: ["svc`$x"],
      monitoredEvents: [{ log: "Application", source: 'O\'Brien "src"', eventId: 7 }],
    });
    const r = await role.create(inputs, ctx);
    const g = sim.world().clusters["C1"]!.groups[WEIRD]!;
    assert.equal(g.vm, WEIRD);
    assert.deepEqual(g.antiAffinityClassNames, [
      "'; Stop-Computer; '",
      "$(Get-Secret)",
      "tab\tand\r\nnewline",
    ]);
    assert.deepEqual(
      g.monitored.map((m) => m.name),
      ["svc`$x", 'Application,O\'Brien "src",7'],
    );
    const live = await role.read(r.id, { inputs, outputs: r.outputs }, ctx);
    assert.deepEqual(live?.inputs, inputs, "read must return the same hostile strings");
    const sent = sim.world().journal ?? [];
    assert.ok(
      sent.every((l) => /^[\x20-\x7e]*$/.test(l)),
      "every line sent must be printable ASCII",
    );
  });
});
