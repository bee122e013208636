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
});
