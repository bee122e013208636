import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Action,
  decide,
  emptyLocal,
  HOST_STATES,
  type ManagerState,
  parseSpec,
  RESOURCE_STATES,
  runManager,
  type Snapshot,
  setState,
} from "../../../provider/runtime/core";

const input = {
  version: 1,
  name: "c",
  hosts: {
    h1: { cpu: 8, memoryMiB: 8192, fence: { agent: "fence_ipmilan" } },
    h2: { cpu: 8, memoryMiB: 8192, fence: { agent: "fence_ipmilan" } },
    h3: { cpu: 8, memoryMiB: 8192 },
  },
  resources: {
    web: { kind: "vm", isolationResponse: "kill" },
    db: { kind: "vm" },
    keep: { kind: "vm", isolationResponse: "none" },
  },
};
const spec = parseSpec(input);

function snap(over: Partial<Snapshot> = {}): Snapshot {
  return {
    self: "h1",
    spec,
    view: {
      revision: 1,
      spec: input,
      specRevision: 1,
      manager: undefined,
      managerRevision: 0,
      leases: ["h1", "h2", "h3"],
      primary: "h1",
      reports: {},
      maintenance: [],
      migrateRequests: [],
    },
    storeReachable: true,
    isPrimary: true,
    inFlight: [],
    running: [],
    local: emptyLocal("h1"),
    ...over,
  };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const types = (as: Action[]) => as.map((a) => a.type);

describe("decide", () => {
  it("never mutates its input and is deterministic", () => {
    const s = deepFreeze(snap());
    const a = decide(s, { type: "tick" }, 1000);
    const b = decide(s, { type: "tick" }, 1000);
    assert.deepEqual(a, b);
  });

  it("the primary commits first, before any other action of the step", () => {
    const d = decide(snap(), { type: "tick" }, 0);
    const firstEffect = d.actions.find((a) => a.type !== "log");
    assert.equal(firstEffect?.type, "commit");
  });

  it("a primary that cannot reach the store steps down and decides nothing", () => {
    const base = snap();
    const s = snap({ storeReachable: false, local: { ...base.local, primary: true, leaseOkAt: 900 } });
    const d = decide(s, { type: "store-unreachable", error: "timeout" }, 1000);
    assert.ok(!types(d.actions).includes("commit"));
    assert.ok(!types(d.actions).includes("fence"));
    assert.ok(
      d.actions.some((a) => a.type === "log" && /stepping down \(store unreachable\)/.test(a.message)),
    );
    assert.equal(d.next.local.primary, false);
  });

  it("a host that is not primary never commits", () => {
    const d = decide(snap({ isPrimary: false, self: "h2", local: emptyLocal("h2") }), { type: "tick" }, 0);
    assert.ok(!types(d.actions).includes("commit"));
  });

  it("isolation: counts down, then stops/kills what must stop, keeps `none`, pets only when done", () => {
    const local = { ...emptyLocal("h1"), leaseOkAt: 0, running: ["db", "keep", "web"] };
    const early = decide(
      snap({ storeReachable: false, isPrimary: false, local, running: ["db", "keep", "web"] }),
      { type: "store-unreachable", error: "x" },
      500,
    );
    assert.ok(!types(early.actions).includes("self-fence"));
    assert.ok(!types(early.actions).includes("watchdog"), "no pet without a fresh lease");
    assert.match(early.sentence, /isolation response in 0.5s/);
    const late = decide(
      snap({ storeReachable: false, isPrimary: false, local, running: ["db", "keep", "web"] }),
      { type: "store-unreachable", error: "x" },
      1000,
    );
    const sf = late.actions.find((a) => a.type === "self-fence");
    assert.deepEqual(sf, { type: "self-fence", stop: ["db"], kill: ["web"], keep: ["keep"] });
    assert.ok(!types(late.actions).includes("watchdog"), "not petted while db/web still run");
    const after = decide(
      snap({
        storeReachable: false,
        isPrimary: false,
        local: { ...late.next.local, running: ["keep"] },
        running: ["keep"],
      }),
      { type: "store-unreachable", error: "x" },
      1250,
    );
    assert.ok(types(after.actions).includes("watchdog"), "petted once only isolation-none resources run");
  });

  it("host failure: suspect and fencing in one step, recovery only after the device confirmed", () => {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const placed: ManagerState = {
      ...first,
      resources: Object.fromEntries(
        Object.entries(first.resources).map(([r, rec]) => [
          r,
          { ...rec, state: "started" as const, node: "h2" },
        ]),
      ),
    };
    const s = snap({ view: { ...snap().view, manager: placed, managerRevision: 5, leases: ["h1", "h3"] } });
    const step = runManager(s, { type: "tick" }, 10_000);
    assert.equal(step.state.hosts["h2"]!.state, "fencing");
    assert.ok(step.actions.some((a) => a.type === "fence" && a.host === "h2"));
    for (const r of ["web", "db", "keep"]) {
      assert.equal(step.state.resources[r]!.state, "recovering");
      assert.equal(step.state.resources[r]!.node, "h2", `${r} waits for proof`);
    }
    const s2 = snap({ view: { ...s.view, manager: step.state, managerRevision: 6 } });
    const done = runManager(s2, { type: "fence-result", host: "h2", off: true }, 10_100);
    assert.equal(done.state.hosts["h2"]!.state, "fenced");
    for (const r of ["web", "db", "keep"]) {
      assert.equal(done.state.resources[r]!.state, "starting");
      assert.notEqual(done.state.resources[r]!.node, "h2");
    }
  });

  it("without confirmation, stop/kill resources wait for lease expiry + self-fence deadline; none waits for the device", () => {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const placed: ManagerState = {
      ...first,
      resources: Object.fromEntries(
        Object.entries(first.resources).map(([r, rec]) => [
          r,
          { ...rec, state: "started" as const, node: "h2" },
        ]),
      ),
    };
    let view = { ...snap().view, manager: placed, managerRevision: 5, leases: ["h1", "h3"] };
    let state = runManager(snap({ view }), { type: "tick" }, 10_000).state;
    view = { ...view, manager: state };
    state = runManager(snap({ view, inFlight: ["fence:h2"] }), { type: "tick" }, 10_999).state;
    assert.equal(state.resources["db"]!.node, "h2", "not before the deadline");
    view = { ...view, manager: state };
    state = runManager(snap({ view, inFlight: ["fence:h2"] }), { type: "tick" }, 11_000).state;
    assert.notEqual(state.resources["db"]!.node, "h2");
    assert.notEqual(state.resources["web"]!.node, "h2");
    assert.equal(state.resources["keep"]!.node, "h2");
    assert.equal(state.hosts["h2"]!.state, "fencing");
  });
});

describe("state tables", () => {
  it("every host and resource state has a description", () => {
    for (const [k, v] of [...Object.entries(HOST_STATES), ...Object.entries(RESOURCE_STATES)]) {
      assert.ok(v.length > 10, `${k} needs a description`);
    }
    assert.deepEqual(Object.keys(HOST_STATES).sort(), [
      "fenced",
      "fencing",
      "maintenance",
      "offline",
      "online",
      "suspect",
    ]);
  });

  it("setState logs `status change A => B` in one format, and nothing when unchanged", () => {
    const log: Action[] = [];
    const rec = { state: "online" as string, since: 0 };
    setState("host", "h2", rec, "suspect", "lease expired", 5, log);
    setState("host", "h2", rec, "suspect", "again", 6, log);
    assert.deepEqual(log, [
      {
        type: "log",
        level: "info",
        subject: "host h2",
        message: "status change online => suspect (lease expired)",
      },
    ]);
    assert.equal(rec.since, 5);
  });
});
