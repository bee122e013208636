// Constrained Language Mode (review finding 16) on the WSFC simulator: a shell or a remote node
// where an AppLocker/WDAC policy enforces ConstrainedLanguage mode fails at once with what to do.
// Before, a local shell never answered (node-powershell's own markers are [Console] calls), so
// every operation hung until its deadline; a remote node failed on the first .NET call of a script.
import * as assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { TerminalError } from "../../../provider/core/errors";
import { definition as cluster } from "../../../provider/hyperv/resources/failover-cluster";
import { closeSessions } from "../../../provider/hyperv/session";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";

const PASSWORD = "pw-clm";

/** Rejects with `p`'s error, or fails the test when `p` takes longer than `ms` (the old hang). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (hung)`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe("Constrained Language Mode", () => {
  let sim: Sim;
  before(() => {
    sim = newSim({ featureInstalled: true, remoting: { userName: "CONTOSO\\admin", password: PASSWORD } });
    sim.activate();
  });
  afterEach(async () => {
    await closeSessions();
    sim.edit((w) => {
      delete w.languageMode;
    });
  });
  after(() => sim.dispose());

  const read = (config: Record<string, string> = {}) =>
    cluster.read(
      "C1",
      { inputs: cluster.inputs.parse({ name: "C1", nodes: ["HV1"] }), outputs: {} as never },
      testContext(config),
    );

  it("a local shell in ConstrainedLanguage mode: a terminal error at once naming the mode and what to do", async () => {
    sim.edit((w) => {
      w.languageMode = { local: "ConstrainedLanguage" };
    });
    const t0 = Date.now();
    await assert.rejects(within(read(), 15_000), (e: unknown) => {
      assert.ok(e instanceof TerminalError, String(e));
      assert.match(e.message, /PowerShell in the local shell \(pwsh\) runs in ConstrainedLanguage mode/);
      assert.match(e.message, /AppLocker or WDAC/);
      assert.match(e.message, /What to do: run vmha on a machine whose PowerShell runs in FullLanguage mode/);
      assert.match(e.message, /Constrained Language Mode/);
      return true;
    });
    assert.ok(Date.now() - t0 < 15_000);
  });

  it("a remote node in ConstrainedLanguage mode: names the node and what to do, no script runs there", async () => {
    sim.edit((w) => {
      w.languageMode = { remote: "ConstrainedLanguage" };
      w.journal = [];
    });
    const config = {
      "vmha:hypervComputerName": "HV1",
      "vmha:hypervUserName": "CONTOSO\\admin",
      "vmha:hypervPassword": PASSWORD,
    };
    await assert.rejects(within(read(config), 15_000), (e: unknown) => {
      assert.ok(e instanceof TerminalError, String(e));
      assert.match(e.message, /the remoting session on HV1 runs in ConstrainedLanguage mode/);
      assert.match(e.message, /What to do: allow the PowerShell that remoting runs on HV1/);
      assert.ok(!e.message.includes(PASSWORD));
      return true;
    });
    const journal = sim.world().journal ?? [];
    assert.ok(!journal.some((l) => l.includes("Get-Cluster")), "no resource script was sent");
  });

  it("FullLanguage everywhere: the same read works (the probe costs nothing)", async () => {
    assert.equal(await read(), undefined, "no cluster C1 yet: read says deleted, without an error");
  });
});
