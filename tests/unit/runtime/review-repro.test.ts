// The review's reproductions (/work/shared/reviews/2026-12-kvm-runtime-safety.md, repro/*.js),
// in the project's own words: each runs on the discrete-event simulator with the real core and
// driver, and asserts that the double run, crash or replay the review showed no longer happens.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEvents } from "../../../provider/runtime/sim/events";
import { runScenario } from "../../../provider/runtime/sim/runner";

const dev = (ip: string) => ({ agent: "fence_ipmilan", params: { ip } });
const TWO = (web: Record<string, unknown>, h2Fence = false) => ({
  version: 1,
  name: "review",
  admissionControl: { policy: "disabled" },
  hosts: {
    h1: { cpu: 8, memoryMiB: 16384 },
    h2: { cpu: 8, memoryMiB: 16384, ...(h2Fence ? { fence: dev("h2") } : {}) },
  },
  resources: {
    web: {
      kind: "vm",
      reservation: { cpu: 1, memoryMiB: 1024 },
      placement: { preferredHosts: ["h2"] },
      ...web,
    },
  },
});

async function clean(cluster: unknown, events: string) {
  const r = await runScenario(cluster, parseEvents(events), { verbose: false });
  assert.deepEqual(r.violations, []);
  return r;
}

describe("the review's reproductions", () => {
  it("C1 (stall.js): a stall past the TTL, graceful stop 10 s, no device: no double run", async () => {
    for (const stall of ["1200ms", "1750ms", "2500ms"]) {
      await clean(
        TWO({ isolationResponse: "stop" }),
        `op stop duration 10s\nadvance 2s\nagent h2 stall ${stall}\nadvance 8s`,
      );
    }
  });

  it("C1 with a failing device", async () => {
    await clean(
      TWO({}, true),
      "op stop duration 10s\nfence h2 fails always\nadvance 2s\nagent h2 stall 1500ms\nadvance 8s",
    );
  });

  it("C4 (rejoin.js): restart with a failing list keeps an isolation-none VM where it runs", async () => {
    const r = await clean(
      TWO({ isolationResponse: "none" }, true),
      "fence h2 fails always\nadvance 2s\nnetwork h2 off\nadvance 4s\nagent h2 restart\nlibvirt h2 down 2s\nnetwork h2 on\nadvance 6s",
    );
    assert.deepEqual(r.world.runners("web"), ["h2"]);
  });

  it("C5 (hostile.js, crash.js, badreport.js): hostile store content crashes nobody, VMs keep running", async () => {
    const puts = [
      "store put manager 42",
      'store put manager {"version":1}',
      'store put manager {"version":1,"resources":{"web":null}}',
      'store put reports/h1 {"host":"h1"}',
      'store put requests/migrate/constructor {"id":"constructor","resource":"__proto__","target":"h2"}',
      'store put spec {"version":1,"name":"x","hosts":{"h1":{"cpu":1,"memoryMiB":1}},"constraints":[{"type":"location","resource":"constructor","host":"h1","rule":"prefer"}]}',
    ];
    for (const p of puts) {
      const r = await clean(TWO({}), `advance 2s\n${p}\nadvance 3s`);
      assert.deepEqual(r.world.runners("web"), ["h2"], p);
    }
  });

  it("H1: leader elections of 0.4-1.5 s isolate nobody and fence nobody", async () => {
    for (const d of ["400ms", "800ms", "1s", "1500ms"]) {
      const r = await clean(TWO({}, true), `advance 2s\nstore election ${d}\nadvance 4s`);
      assert.ok(!r.lines.some((l) => / isolation: | fence attempt /.test(l)), d);
    }
  });

  it("H6 (migrate65.js): 70 operator migrate requests over time, none replayed", async () => {
    const lines = ["advance 2s"];
    for (let i = 0; i < 70; i++) lines.push(`vm web migrate ${i % 2 ? "h2" : "h1"}`, "advance 1500ms");
    lines.push("advance 10s");
    const r = await clean(TWO({}), lines.join("\n"));
    const moves = r.lines.filter((l) => l.includes("live-migrating")).length;
    assert.ok(moves <= 70, `${moves} migrations for 70 requests`);
    const tail = r.lines.filter(
      (l) => l.includes("live-migrating") && Number.parseFloat(l) > 2 + 70 * 1.5 + 2,
    );
    assert.deepEqual(tail, [], "migrations after the last request: a replay");
  });
});
