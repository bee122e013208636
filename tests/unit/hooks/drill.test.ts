// `vmha drill --hook-*`: the drill's report as a hook event (same module as the agents'), and
// the bound the CLI waits for its delivery.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseHookConfig } from "../../../provider/runtime/hooks/config";
import { deliveryBoundMs, drillHookEvent, drillHooks } from "../../../provider/runtime/hooks/drill";

describe("drill hook", () => {
  it("a drill that stopped with an error is a failed drill event naming the step", () => {
    const e = drillHookEvent(
      {
        cluster: "prod",
        host: "h2",
        limitMs: 30000,
        startedAt: new Date("2026-12-02T10:00:00Z"),
        durationMs: 1200,
        hostname: "ci",
        lines: [],
        error: { step: "prepare", message: "no fence device for h2" },
      },
      new Date("2026-12-02T10:00:02Z"),
    );
    assert.equal(e.kind, "drill");
    if (e.kind !== "drill") return;
    assert.equal(e.passed, false);
    assert.equal(e.limitSeconds, 30);
    assert.equal(e.error, "prepare: no fence device for h2");
    assert.equal(e.id, "prod:drill:h2:2026-12-02T10:00:00.000Z");
    assert.equal(e.at, "2026-12-02T10:00:02.000Z");
  });

  it("no hook asked for: none; a token without a URL is refused before the drill", () => {
    assert.equal(
      drillHooks({}, () => undefined),
      undefined,
    );
    assert.throws(() => drillHooks({ tokenFile: "/x" }, () => undefined), /needs --hook-url/);
  });

  it("the CLI waits at most every attempt's timeout plus the backoffs", () => {
    const cfg = parseHookConfig({ url: "http://127.0.0.1:1/", attempts: 3, timeoutMs: 1000, backoffMs: 500 });
    assert.equal(deliveryBoundMs(cfg), 3 * 1000 + 500 + 1000 + 1000);
  });
});
