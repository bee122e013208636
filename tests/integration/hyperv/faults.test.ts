// A shell that dies or stops answering is thrown away and the call retried on a fresh one; a
// call that keeps failing ends with "after N attempts". (The hang test waits out a 10 s deadline,
// long enough for a fresh shell to start on a loaded machine; nothing asserts how long anything took.)
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { z } from "zod";
import { emitJson, raw } from "../../../provider/hyperv/ps/script";
import { closeSessions, psFor } from "../../../provider/hyperv/session";
import { newSim, type Sim } from "../../support/wsfc-sim/fixture";
import { testContext } from "./context";

describe("shell faults", () => {
  let sim: Sim;
  before(() => {
    sim = newSim();
    sim.activate();
  });
  after(async () => {
    await closeSessions();
    sim.dispose();
  });
  const echo = emitJson(raw("'ok'"));

  it("replaces a shell that crashed and retries the call", async () => {
    const ps = psFor(testContext());
    assert.equal(await ps.query("echo", echo, z.string()), "ok");
    sim.edit((w) => {
      w.faults = { crash: 1 };
    });
    assert.equal(await ps.query("echo after a crash", echo, z.string()), "ok");
  });

  it("replaces a shell that stopped answering once its deadline passed", async () => {
    const ps = psFor(testContext());
    sim.edit((w) => {
      w.faults = { hang: 1 };
    });
    assert.equal(await ps.query("echo after a hang", echo, z.string(), 10_000), "ok");
  });

  it("keeps other operations running while one operation's shell hangs", async () => {
    sim.edit((w) => {
      w.faults = { hang: 1 };
    });
    const hung = psFor(testContext()).query("echo that hangs first", echo, z.string(), 10_000);
    while (sim.world().faults?.hang) await new Promise((r) => setTimeout(r, 10)); // the hang has struck
    // Without a retry: this must succeed on its own shell, not queue behind the hung one.
    const once = testContext();
    const other = psFor({
      ...once,
      call: (label, fn) =>
        once.call(label, fn, { timeoutMs: 60_000, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 } }),
    });
    assert.equal(await other.query("echo alongside", echo, z.string()), "ok");
    assert.equal(await hung, "ok");
  });

  it("gives up after the retry budget with the attempts counted", async () => {
    const ps = psFor(testContext());
    sim.edit((w) => {
      w.faults = { crash: 10 };
    });
    await assert.rejects(
      ps.query("echo", echo, z.string()),
      /^RetryableError: echo: after 2 attempts: .*PowerShell process failed/,
    );
    sim.edit((w) => {
      w.faults = {};
    });
  });

  it("says plainly when there is no PowerShell to run", async () => {
    await closeSessions();
    const saved = process.env.NODE_POWERSHELL;
    process.env.NODE_POWERSHELL = "/nonexistent/pwsh";
    try {
      await assert.rejects(
        psFor(testContext()).query("echo", echo, z.string()),
        /^TerminalError: opening the PowerShell session: the PowerShell executable was not found \(\/nonexistent\/pwsh\); install PowerShell 7/,
      );
    } finally {
      process.env.NODE_POWERSHELL = saved;
      await closeSessions();
    }
  });
});
