import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ManagerState, StoreView } from "../../../provider/runtime/core/model";
import {
  drillPassed,
  formatTimeline,
  observe,
  recovered,
  startTimeline,
} from "../../../provider/runtime/drill/timeline";

function view(p: {
  leases: string[];
  running: Record<string, string[]>;
  resources: Record<string, { state: string; node?: string }>;
  h2?: { state: string; confirmedAt?: number };
}): StoreView {
  const manager = {
    version: 1,
    specRevision: 1,
    seq: 1,
    handledRequests: [],
    hosts: p.h2
      ? {
          h2: {
            state: p.h2.state,
            since: 0,
            ...(p.h2.confirmedAt ? { fence: { attempts: 1, confirmedAt: p.h2.confirmedAt } } : {}),
          },
        }
      : {},
    resources: Object.fromEntries(
      Object.entries(p.resources).map(([n, r]) => [
        n,
        { ...r, since: 0, epoch: 1, relocations: 0, admitted: true, specKey: "" },
      ]),
    ),
  } as unknown as ManagerState;
  return {
    revision: 1,
    spec: {},
    specRevision: 1,
    manager,
    managerRevision: 1,
    leases: p.leases,
    primary: "h1",
    reports: Object.fromEntries(
      Object.entries(p.running).map(([h, r]) => [
        h,
        { host: h, at: 0, managerRevision: 1, listed: true, busy: [], running: r, failed: {} },
      ]),
    ),
    maintenance: [],
    migrateRequests: [],
  };
}

describe("drill timeline", () => {
  const before = view({
    leases: ["h1", "h2", "h3"],
    running: { h1: ["a"], h2: ["web", "db"], h3: [] },
    resources: {
      a: { state: "started", node: "h1" },
      web: { state: "started", node: "h2" },
      db: { state: "started", node: "h2" },
    },
  });

  it("records detection, fence and per-resource recovery", () => {
    const t = startTimeline("h2", before);
    assert.deepEqual(
      t.resources.map((r) => r.name),
      ["web", "db"],
    );
    observe(
      t,
      view({
        leases: ["h1", "h3"],
        running: { h1: ["a"], h3: [] },
        resources: { web: { state: "recovering" }, db: { state: "recovering" } },
        h2: { state: "fencing" },
      }),
      1000,
    );
    assert.equal(t.detectedMs, 1000);
    assert.equal(t.fencedMs, undefined);
    observe(
      t,
      view({
        leases: ["h1", "h3"],
        running: { h1: ["a"], h3: ["web"] },
        resources: { web: { state: "started", node: "h3" }, db: { state: "starting", node: "h1" } },
        h2: { state: "fenced", confirmedAt: 5 },
      }),
      1400,
    );
    assert.equal(t.fencedMs, 1400);
    assert.equal(t.fencedHow, "device confirmed off");
    assert.equal(recovered(t), false);
    observe(
      t,
      view({
        leases: ["h1", "h3"],
        running: { h1: ["a", "db"], h3: ["web"] },
        resources: { web: { state: "started", node: "h3" }, db: { state: "started", node: "h1" } },
        h2: { state: "fenced", confirmedAt: 5 },
      }),
      1800,
    );
    assert.equal(recovered(t), true);
    assert.deepEqual(t.resources, [
      { name: "web", from: "h2", to: "h3", runningMs: 1400 },
      { name: "db", from: "h2", to: "h1", runningMs: 1800 },
    ]);
    assert.equal(drillPassed(t, 2000), true);
    assert.equal(drillPassed(t, 1500), false, "db recovered after the limit");
    assert.match(formatTimeline(t, 1500).join("\n"), /db\s+running on h1 at 1\.80 s {2}\(limit 1\.50 s\)/);
  });

  it("flags a resource reported on two hosts as split brain and fails the drill", () => {
    const t = startTimeline("h2", before);
    observe(
      t,
      view({
        leases: ["h1", "h3"],
        running: { h2: ["web"], h3: ["web"] },
        resources: { web: { state: "started", node: "h3" } },
        h2: { state: "fenced", confirmedAt: 1 },
      }),
      900,
    );
    assert.deepEqual(t.doubleRuns, [{ atMs: 900, resource: "web", hosts: ["h2", "h3"] }]);
    assert.equal(drillPassed(t, 60_000), false);
  });
});
