import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkTiming,
  parseSpec,
  SENSITIVITY,
  SpecError,
  timingWindows,
  tryParseSpec,
} from "../../../provider/runtime/core";

const base = { version: 1, name: "c1", hosts: { h1: { cpu: 8, memoryMiB: 16384 } } };

describe("cluster spec", () => {
  it("fills defaults: timing, admission control, resource settings", () => {
    const s = parseSpec({ ...base, resources: { web: { kind: "vm" } } });
    assert.deepEqual(s.timing, {
      keepaliveIntervalMs: 250,
      leaseTtlMs: 1000,
      rejoinGraceMs: 400,
      watchdogTimeoutMs: 2000,
      selfFenceDeadlineMs: 2000,
      isolationBudgetMs: 1000,
      fenceTimeoutMs: 2000,
      maxClockSkewMs: 300,
    });
    assert.deepEqual(s.admissionControl, { policy: "hostFailures", hostFailures: 1 });
    const web = s.resources["web"]!;
    assert.equal(web.state, "started");
    assert.equal(web.isolationResponse, "stop");
    assert.deepEqual(web.reservation, { cpu: 1, memoryMiB: 1024 });
  });

  it("maps the vSphere sensitivity presets to numbers (low/medium/high)", () => {
    const expect = {
      low: [120_000, 3, 7 * 86_400_000, 480_000],
      medium: [60_000, 3, 86_400_000, 240_000],
      high: [30_000, 3, 3_600_000, 120_000],
    } as const;
    for (const [sens, [fi, mr, win, up]] of Object.entries(expect)) {
      const s = parseSpec({ ...base, resources: { w: { kind: "vm", monitoring: { sensitivity: sens } } } });
      const m = s.resources["w"]!.monitoring;
      assert.deepEqual(
        [m.failureIntervalMs, m.maxRestarts, m.restartWindowMs, m.minUptimeMs],
        [fi, mr, win, up],
        sens,
      );
      assert.equal(SENSITIVITY[sens as keyof typeof SENSITIVITY].failureIntervalMs, fi);
    }
  });

  it("explicit monitoring numbers override the preset", () => {
    const s = parseSpec({
      ...base,
      resources: { w: { kind: "vm", monitoring: { sensitivity: "high", maxRestarts: 7 } } },
    });
    assert.equal(s.resources["w"]!.monitoring.maxRestarts, 7);
    assert.equal(s.resources["w"]!.monitoring.failureIntervalMs, 30_000);
  });

  it("reports schema problems as {property, reason}", () => {
    const r = tryParseSpec({ ...base, hosts: { H1: { cpu: -1, memoryMiB: 1 } } });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.ok(
      r.issues.some((i) => i.property.startsWith("hosts")),
      JSON.stringify(r.issues),
    );
  });

  it("refuses an unknown version", () => {
    assert.throws(() => parseSpec({ ...base, version: 2 }), SpecError);
  });

  it("checks references and start-order cycles, naming the resource", () => {
    const r = tryParseSpec({
      ...base,
      resources: {
        a: { kind: "vm", placement: { after: ["b"], bannedHosts: ["h9"] } },
        b: { kind: "vm", placement: { after: ["a"] } },
      },
    });
    assert.equal(r.ok, false);
    if (r.ok) return;
    const text = r.issues.map((i) => `${i.property}: ${i.reason}`).join("\n");
    assert.match(text, /names host h9/);
    assert.match(text, /start-order cycle: (a -> b -> a|b -> a -> b)/);
  });
});

describe("timing invariants", () => {
  const t = {
    keepaliveIntervalMs: 250,
    leaseTtlMs: 1000,
    rejoinGraceMs: 400,
    watchdogTimeoutMs: 2000,
    selfFenceDeadlineMs: 2000,
    isolationBudgetMs: 1000,
    fenceTimeoutMs: 2000,
    maxClockSkewMs: 300,
  };

  it("accepts the defaults, whose windows are: pets up to 700 ms after the last ack, isolation at 1.7 s, done by 2.7 s", () => {
    assert.deepEqual(checkTiming(t), { errors: [], warnings: [] });
    assert.deepEqual(timingWindows(t), { petWindowMs: 700, isolateAfterMs: 1700, deadlineMs: 2700 });
  });

  it("the windows follow the shorter of the spec's TTL and the one the store enforces", () => {
    assert.equal(timingWindows({ ...t, leaseTtlMs: 2000 }, 1000).deadlineMs, 2700);
    assert.equal(timingWindows(t, 2000).deadlineMs, 2700);
  });

  it("names the numbers when the self-fence deadline leaves the watchdog no pet window", () => {
    const r = checkTiming({ ...t, selfFenceDeadlineMs: 1600 });
    assert.equal(r.errors[0]!.property, "timing.selfFenceDeadlineMs");
    assert.match(
      r.errors[0]!.reason,
      /leaseTtlMs \(1000\) \+ selfFenceDeadlineMs \(1600\) - maxClockSkewMs \(300\) - watchdogTimeoutMs \(2000\) = 300 must be >= 2 x keepaliveIntervalMs \(250\) = 500/,
    );
  });

  it("the isolation budget must not start the isolation while the lease surely lives, and covers a destroy", () => {
    const big = checkTiming({ ...t, isolationBudgetMs: 1600 });
    assert.match(
      big.errors.map((e) => e.reason).join("\n"),
      /= 1100 must be >= leaseTtlMs \+ keepaliveIntervalMs = 1250/,
    );
    const small = checkTiming({ ...t, isolationBudgetMs: 600 });
    assert.match(
      small.errors[0]!.reason,
      /isolationBudgetMs \(600\) must be >= keepaliveIntervalMs \(250\) \+ 400 = 650/,
    );
  });

  it("lease TTL must allow two keepalives and be whole seconds (etcd's unit)", () => {
    const r = checkTiming({ ...t, keepaliveIntervalMs: 600 });
    assert.match(
      r.errors.map((e) => e.reason).join("\n"),
      /leaseTtlMs \(1000\) must be >= 2 x keepaliveIntervalMs \(600\) = 1200/,
    );
    assert.match(checkTiming({ ...t, leaseTtlMs: 1500 }).errors[0]!.reason, /must be whole seconds/);
  });

  it("warns when the watchdog is not whole seconds (softdog's unit)", () => {
    assert.match(checkTiming({ ...t, watchdogTimeoutMs: 1500 }).warnings[0]!.reason, /not whole seconds/);
  });

  it("warns when the fence timeout exceeds lease + deadline, errors when shorter than a keepalive", () => {
    assert.match(
      checkTiming({ ...t, fenceTimeoutMs: 5000 }).warnings[0]!.reason,
      /fenceTimeoutMs \(5000\) > leaseTtlMs \(1000\) \+ selfFenceDeadlineMs \(2000\)/,
    );
    assert.match(
      checkTiming({ ...t, fenceTimeoutMs: 100 }).errors[0]!.reason,
      /fenceTimeoutMs \(100\) must be >= keepaliveIntervalMs \(250\)/,
    );
  });

  it("a spec with a timing violation is rejected by parseSpec", () => {
    assert.throws(
      () => parseSpec({ ...base, timing: { selfFenceDeadlineMs: 100 } }),
      /selfFenceDeadlineMs \(100\)/,
    );
  });
});
