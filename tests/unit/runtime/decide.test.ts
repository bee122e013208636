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
    lease: { state: "held", sinceAckMs: 10, ttlMs: 1000, askedTtlMs: 1000, generation: 1, id: "1" },
    listed: true,
    inFlight: [],
    running: [],
    unknown: [],
    local: emptyLocal("h1"),
    ...over,
  };
}

/** `first` with every resource started on `node`, and `hosts` changed as given. */
function allOn(first: ManagerState, node: string, hosts: Partial<ManagerState["hosts"]> = {}): ManagerState {
  return {
    ...first,
    hosts: { ...first.hosts, ...hosts } as ManagerState["hosts"],
    resources: Object.fromEntries(
      Object.entries(first.resources).map(([r, rec]) => [r, { ...rec, state: "started" as const, node }]),
    ),
  };
}

/** One tick of h2's agent (not primary) with `manager` committed and `running` on it. */
function tickOnH2(manager: ManagerState, running: string[]) {
  return decide(
    snap({
      self: "h2",
      isPrimary: false,
      view: { ...snap().view, manager, managerRevision: 9 },
      local: { ...emptyLocal("h2"), running },
      running,
    }),
    { type: "tick" },
    0,
  );
}

/** The lease `ms` after its last acknowledged renewal (defaults: isolation at 1700 ms, pets until 700 ms). */
const ack = (ms: number): Snapshot["lease"] => ({
  state: ms < 1000 ? "held" : "unknown",
  sinceAckMs: ms,
  ttlMs: 1000,
  askedTtlMs: 1000,
  generation: 1,
  id: "1",
});

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
    const s = snap({ storeReachable: false, local: { ...base.local, primary: true } });
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

  it("isolation: counts down from the last ack (L + D - S - B = 1.7 s), then stops/kills what must stop, keeps `none`, pets only when done", () => {
    const local = { ...emptyLocal("h1"), running: ["db", "keep", "web"] };
    const cut = { storeReachable: false, isPrimary: false, local, running: ["db", "keep", "web"] };
    // a store outage shorter than the isolation point costs nothing: no stop, pets while young
    const early = decide(snap({ ...cut, lease: ack(500) }), { type: "store-unreachable", error: "x" }, 500);
    assert.ok(!types(early.actions).includes("self-fence"));
    assert.ok(types(early.actions).includes("watchdog"), "petted while the last ack is within P = 700 ms");
    assert.match(early.sentence, /isolation response in 1.2s/);
    const mid = decide(snap({ ...cut, lease: ack(1500) }), { type: "store-unreachable", error: "x" }, 1500);
    assert.ok(!types(mid.actions).includes("self-fence"), "1.5 s of silence (an election) stops nothing");
    assert.ok(!types(mid.actions).includes("watchdog"), "no pet past P with stop/kill resources running");
    const late = decide(snap({ ...cut, lease: ack(2000) }), { type: "store-unreachable", error: "x" }, 2000);
    const sf = late.actions.find((a) => a.type === "self-fence");
    assert.deepEqual(sf, { type: "self-fence", stop: ["db"], kill: ["web"], keep: ["keep"] });
    assert.ok(!types(late.actions).includes("watchdog"), "not petted while db/web still run");
    const after = decide(
      snap({ ...cut, lease: ack(2450), local: { ...late.next.local, running: ["keep"] }, running: ["keep"] }),
      { type: "store-unreachable", error: "x" },
      2450,
    );
    assert.ok(types(after.actions).includes("watchdog"), "petted once only isolation-none resources run");
    assert.ok(!types(after.actions).includes("join"), "the lease may still live: no new lease yet");
  });

  it("C1: a lease the store says is gone past the isolation point means isolation now, no pet until clean, then a new lease", () => {
    const running = ["db", "keep", "web"];
    const lost = {
      state: "lost" as const,
      sinceAckMs: 1700,
      ttlMs: 1000,
      askedTtlMs: 1000,
      generation: 1,
      id: "1",
    };
    const d = decide(
      snap({ isPrimary: false, lease: lost, local: { ...emptyLocal("h1"), running }, running }),
      { type: "tick" },
      0,
    );
    assert.deepEqual(
      d.actions.find((a) => a.type === "self-fence"),
      {
        type: "self-fence",
        stop: ["db"],
        kill: ["web"],
        keep: ["keep"],
      },
    );
    assert.ok(!types(d.actions).includes("watchdog"));
    assert.ok(!types(d.actions).includes("join"), "no new lease while db/web run");
    const clean = decide(
      snap({
        isPrimary: false,
        lease: lost,
        local: { ...d.next.local, running: ["keep"] },
        running: ["keep"],
      }),
      { type: "tick" },
      0,
    );
    assert.ok(types(clean.actions).includes("join"));
    assert.ok(types(clean.actions).includes("watchdog"));
  });

  it("a lease the store revoked with time left (etcd-io/etcd#15247): nothing stops, a new lease at once, counted only once the view holds its key", () => {
    const running = ["db", "keep", "web"];
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const manager = allOn(first, "h1");
    const view = { ...snap().view, manager, managerRevision: 7, leaseIds: { h1: "1", h2: "21", h3: "31" } };
    const base = { isPrimary: false, view, running, local: { ...emptyLocal("h1"), running } };
    const revoked = {
      state: "lost" as const,
      sinceAckMs: 200,
      ttlMs: 1000,
      askedTtlMs: 1000,
      generation: 1,
      id: "1",
    };
    const d = decide(snap({ ...base, lease: revoked }), { type: "tick" }, 5000);
    assert.ok(!d.actions.some((a) => a.type === "self-fence" || a.type === "stop"), "nothing stops");
    assert.deepEqual(
      d.actions.find((a) => a.type === "join"),
      { type: "join", ifGeneration: 1 },
      "a new lease at once, unless the heartbeat took one already",
    );
    // the heartbeat took lease 2 after the loss (rejoinOf: the lost lease's last ack, 300 ms ago
    // at 5100), but the view still holds the old key: the lost lease's ack counts
    const joined = {
      state: "held" as const,
      sinceAckMs: 5,
      ttlMs: 1000,
      askedTtlMs: 1000,
      generation: 2,
      id: "2",
      previousAckMs: 300,
    };
    const waiting = decide(snap({ ...base, lease: joined }), { type: "tick" }, 5100);
    assert.ok(!types(waiting.actions).includes("start") && !types(waiting.actions).includes("self-fence"));
    const pet = waiting.actions.find((a) => a.type === "watchdog");
    assert.deepEqual(
      pet,
      { type: "watchdog", op: "pet", maxAckAgeMs: 700, previousLease: true },
      "bounded by the lost lease's ack",
    );
    assert.equal(waiting.next.local.leaseCounted, undefined, "not counted yet");
    const late = decide(snap({ ...base, lease: { ...joined, previousAckMs: 1700 } }), { type: "tick" }, 6500);
    assert.ok(
      late.actions.some((a) => a.type === "self-fence"),
      "1.7 s after the lost lease's ack without the new key in the view: isolation response",
    );
    // the view holds the new key: the new lease counts, and is remembered as counted
    const seen = { ...view, leaseIds: { ...view.leaseIds, h1: "2" } };
    const ok = decide(snap({ ...base, view: seen, lease: joined }), { type: "tick" }, 5200);
    assert.equal(ok.next.local.leaseCounted, "2");
    assert.deepEqual(
      ok.actions.find((a) => a.type === "watchdog"),
      { type: "watchdog", op: "pet", maxAckAgeMs: 700 },
    );
    const later = decide(
      snap({ ...base, lease: { ...joined, previousAckMs: 5000 }, local: ok.next.local }),
      { type: "tick" },
      9000,
    );
    assert.ok(
      !later.actions.some((a) => a.type === "self-fence"),
      "counted once: a later view without the key changes nothing",
    );
    // a store without leaseIds never lets the new lease count
    const blind = decide(
      snap({ ...base, view: { ...view, leaseIds: undefined }, lease: { ...joined, previousAckMs: 1700 } }),
      { type: "tick" },
      6500,
    );
    assert.ok(blind.actions.some((a) => a.type === "self-fence"));
  });

  it("a suspect host holds what it runs (no stop, no start) and pets nothing; a suspect host back within the grace is online again, never fenced", () => {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const manager = allOn(first, "h2", { h2: { state: "suspect", since: 0 } });
    const running = ["db", "keep"];
    const h2 = tickOnH2(manager, running);
    assert.deepEqual(
      h2.actions.filter((a) => ["start", "stop", "self-fence", "watchdog"].includes(a.type)),
      [],
      "web is not started, db and keep keep running, no pet",
    );
    // the primary: h2's key gone at 10 s, back (a new lease) at 10.2 s
    const view = {
      ...snap().view,
      manager: { ...manager, hosts: { ...manager.hosts, h2: first.hosts["h2"]! } },
    };
    const seen = runManager(snap({ view: { ...view, leases: ["h1", "h3"] } }), { type: "tick" }, 10_000);
    assert.equal(seen.state.hosts["h2"]!.state, "suspect");
    const local = { ...emptyLocal("h1"), primary: true, observedExpiry: seen.observed };
    const back = runManager(
      snap({ view: { ...view, manager: seen.state }, local }),
      { type: "tick" },
      10_200,
    );
    assert.equal(back.state.hosts["h2"]!.state, "online");
    assert.ok(!back.actions.some((a) => a.type === "fence"));
    for (const r of ["web", "db", "keep"]) assert.equal(back.state.resources[r]!.node, "h2");
  });

  it("C1: a host the committed state says is fencing kills its stop/kill resources at once (no graceful stop) and pets nothing", () => {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const manager: ManagerState = {
      ...first,
      hosts: { ...first.hosts, h2: { state: "fencing", since: 0 } },
      resources: Object.fromEntries(
        Object.entries(first.resources).map(([r, rec]) => [
          r,
          { ...rec, state: "recovering" as const, node: "h2" },
        ]),
      ),
    };
    const running = ["db", "keep", "web"];
    const d = tickOnH2(manager, running);
    const stops = d.actions.filter((a) => a.type === "stop");
    assert.deepEqual(stops.map((a) => (a.type === "stop" ? `${a.resource}:${a.mode}` : "")).sort(), [
      "db:kill",
      "web:kill",
    ]);
    assert.ok(!types(d.actions).includes("watchdog"));
  });

  it("a lease of another TTL (a hand-off lease, an older spec) is swapped for one of the spec's TTL", () => {
    const handOff = { state: "held" as const, sinceAckMs: 10, ttlMs: 10_000, generation: 2, id: "2" };
    const d = decide(snap({ isPrimary: false, lease: handOff }), { type: "tick" }, 0);
    assert.ok(types(d.actions).includes("join"));
    assert.ok(!types(decide(snap({ isPrimary: false }), { type: "tick" }, 0).actions).includes("join"));
  });

  it("C4: a failed list proves nothing: no starts, no stops, and the report says so", () => {
    const d = decide(
      snap({ isPrimary: false, self: "h2", listed: false, local: emptyLocal("h2") }),
      { type: "tick" },
      0,
    );
    assert.ok(!types(d.actions).includes("start"));
    assert.ok(!types(d.actions).includes("stop"));
  });

  it("starts nothing while the lease is not surely alive", () => {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const manager: ManagerState = {
      ...first,
      resources: Object.fromEntries(
        Object.entries(first.resources).map(([r, rec]) => [
          r,
          { ...rec, state: "starting" as const, node: "h2" },
        ]),
      ),
    };
    const view = { ...snap().view, manager, managerRevision: 9 };
    const base = { self: "h2", isPrimary: false, view, local: emptyLocal("h2") };
    assert.ok(types(decide(snap(base), { type: "tick" }, 0).actions).includes("start"));
    const late = decide(snap({ ...base, lease: ack(800) }), { type: "tick" }, 0);
    assert.ok(
      !types(late.actions).includes("start"),
      "an ack 800 ms old (TTL 1000, K 250) is too old to start",
    );
  });

  it("host failure: suspect, fencing rejoinGraceMs later (guarded by the absent lease key), recovery only after the device confirmed", () => {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const placed = allOn(first, "h2");
    const s0 = snap({ view: { ...snap().view, manager: placed, managerRevision: 5, leases: ["h1", "h3"] } });
    const seen = runManager(s0, { type: "tick" }, 10_000);
    assert.equal(seen.state.hosts["h2"]!.state, "suspect");
    assert.ok(!seen.actions.some((a) => a.type === "fence"), "no fence within the grace");
    assert.equal(seen.state.resources["db"]!.state, "started", "nothing recovers within the grace");
    assert.deepEqual(seen.actions[0], { type: "commit", revision: 5, state: seen.state, absentLeases: [] });
    const local = { ...emptyLocal("h1"), primary: true, observedExpiry: seen.observed };
    const s = snap({ view: { ...s0.view, manager: seen.state, managerRevision: 6 }, local });
    assert.equal(runManager(s, { type: "tick" }, 10_399).state.hosts["h2"]!.state, "suspect");
    const step = runManager(s, { type: "tick" }, 10_400);
    assert.equal(step.state.hosts["h2"]!.state, "fencing");
    assert.ok(step.actions.some((a) => a.type === "fence" && a.host === "h2"));
    assert.deepEqual(
      step.actions[0],
      { type: "commit", revision: 6, state: step.state, absentLeases: ["h2"] },
      "the commit that begins fencing requires h2's lease key to be absent",
    );
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

  it("a suspect host's device is asked for its status (on ticks only); off is proof at once, on waits for the grace", () => {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const placed = allOn(first, "h2");
    const view = { ...snap().view, manager: placed, managerRevision: 5, leases: ["h1", "h3"] };
    const seen = runManager(snap({ view }), { type: "tick" }, 10_000);
    assert.equal(seen.state.hosts["h2"]!.state, "suspect");
    assert.deepEqual(
      seen.actions.filter((a) => a.type === "power-status"),
      [{ type: "power-status", host: "h2", device: spec.hosts["h2"]!.fence }],
    );
    const local = { ...emptyLocal("h1"), primary: true, observedExpiry: seen.observed };
    const s = snap({ view: { ...view, manager: seen.state, managerRevision: 6 }, local });
    const on = runManager(s, { type: "power-status", host: "h2", off: false }, 10_100);
    assert.equal(on.state.hosts["h2"]!.state, "suspect", "on: wait for the grace");
    assert.ok(!on.actions.some((a) => a.type === "power-status"), "a result does not ask again");
    const inFlight = runManager({ ...s, inFlight: ["status:h2"] }, { type: "tick" }, 10_250);
    assert.ok(!inFlight.actions.some((a) => a.type === "power-status"), "not twice while one is in flight");
    const off = runManager(s, { type: "power-status", host: "h2", off: true }, 10_100);
    assert.equal(off.state.hosts["h2"]!.state, "fenced");
    assert.ok(!off.actions.some((a) => a.type === "fence"), "nothing to power off");
    for (const r of ["web", "db", "keep"]) assert.notEqual(off.state.resources[r]!.node, "h2", `${r} freed`);
    assert.deepEqual((off.actions[0] as { absentLeases: string[] }).absentLeases, ["h2"], "guarded commit");
    // a host back with a lease is not fenced on a status that says off (wrong plug)
    const back = runManager(
      { ...s, view: { ...s.view, leases: ["h1", "h2", "h3"] } },
      { type: "power-status", host: "h2", off: true },
      10_100,
    );
    assert.equal(back.state.hosts["h2"]!.state, "online");
  });

  it("without confirmation, stop/kill resources wait for lease expiry + self-fence deadline; none waits for the device", () => {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const placed = allOn(first, "h2", { h2: { ...first.hosts["h2"]!, watchdogMs: 2000 } });
    let view = { ...snap().view, manager: placed, managerRevision: 5, leases: ["h1", "h3"] };
    const seen = runManager(snap({ view }), { type: "tick" }, 10_000);
    const local = { ...emptyLocal("h1"), primary: true, observedExpiry: seen.observed };
    view = { ...view, manager: seen.state };
    let state = runManager(snap({ view, local }), { type: "tick" }, 10_400).state;
    assert.equal(state.hosts["h2"]!.state, "fencing");
    view = { ...view, manager: state };
    // sighting 10 s + lease TTL 1 s (a deleted key's lease may still live) + deadline 2 s
    state = runManager(snap({ view, local, inFlight: ["fence:h2"] }), { type: "tick" }, 12_999).state;
    assert.equal(state.resources["db"]!.node, "h2", "not before the deadline");
    view = { ...view, manager: state };
    state = runManager(snap({ view, local, inFlight: ["fence:h2"] }), { type: "tick" }, 13_000).state;
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

describe("proof rules of the primary (issue 10)", () => {
  /** h2 failed with every resource on it; the primary h1 saw it at 10 s. */
  function failed(over: { watchdogMs?: number } = {}) {
    const first = runManager(snap(), { type: "tick" }, 0).state;
    const placed = allOn(first, "h2", { h2: { ...first.hosts["h2"]!, ...over } });
    const view = { ...snap().view, manager: placed, managerRevision: 5, leases: ["h1", "h3"] };
    const seen = runManager(snap({ view }), { type: "tick" }, 10_000);
    const local = { ...emptyLocal("h1"), primary: true, observedExpiry: seen.observed };
    const step = runManager(
      snap({ view: { ...view, manager: seen.state }, local }),
      { type: "tick" },
      10_400,
    );
    assert.equal(step.state.hosts["h2"]!.state, "fencing");
    return { view: { ...view, manager: step.state, managerRevision: 6 }, local };
  }

  it("H3: a host that reported no watchdog is never freed on the self-fence deadline alone", () => {
    const { view, local } = failed();
    const state = runManager(snap({ view, local, inFlight: ["fence:h2"] }), { type: "tick" }, 60_000).state;
    for (const r of ["web", "db", "keep"]) assert.equal(state.resources[r]!.node, "h2", r);
    const sentence = runManager(
      snap({ view, local, inFlight: ["fence:h2"] }),
      { type: "tick" },
      60_000,
    ).notes;
    assert.ok(sentence.some((n) => /no self-fence deadline/.test(n.text)));
  });

  it("M1: the deadline runs from this primary's own sighting, not from expiredAt written by another", () => {
    const { view } = failed({ watchdogMs: 2000 });
    // a new primary (empty memory) at 60 s: expiredAt says 10 s, but it saw nothing yet
    const step = runManager(snap({ view, inFlight: ["fence:h2"] }), { type: "tick" }, 60_000);
    assert.equal(step.state.resources["db"]!.node, "h2", "not freed at its first sighting");
    const local = { ...emptyLocal("h1"), primary: true, observedExpiry: step.observed };
    const later = runManager(snap({ view, local, inFlight: ["fence:h2"] }), { type: "tick" }, 63_000).state;
    assert.notEqual(later.resources["db"]!.node, "h2", "freed L + D after its own sighting");
  });

  it("M4: a device that says off while the host renews its lease is no proof", () => {
    const { view, local } = failed();
    const back = { ...view, leases: ["h1", "h2", "h3"] };
    const d = runManager(
      snap({ view: back, local }),
      { type: "fence-result", host: "h2", off: true },
      10_100,
    );
    assert.equal(d.state.hosts["h2"]!.state, "fencing");
    for (const r of ["web", "db", "keep"]) assert.equal(d.state.resources[r]!.node, "h2");
  });

  it("a host back with a lease is freed only on a listed report made after the fencing commit", () => {
    const { view, local } = failed();
    const rep = (o: object) => ({
      host: "h2",
      at: 0,
      managerRevision: 6,
      listed: true,
      running: [] as string[],
      busy: [] as string[],
      failed: {},
      ...o,
    });
    const back = (r: object) => ({ ...view, leases: ["h1", "h2", "h3"], reports: { h2: rep(r) } });
    const stale = runManager(
      snap({ view: back({ managerRevision: 5 }), local }),
      { type: "tick" },
      10_500,
    ).state;
    assert.equal(
      stale.hosts["h2"]!.state,
      "fencing",
      "a report older than the fencing commit proves nothing",
    );
    const unlisted = runManager(
      snap({ view: back({ listed: false }), local }),
      { type: "tick" },
      10_500,
    ).state;
    assert.equal(unlisted.hosts["h2"]!.state, "fencing", "a failed list proves nothing");
    const busy = runManager(snap({ view: back({ busy: ["db"] }), local }), { type: "tick" }, 10_500).state;
    assert.equal(busy.resources["db"]!.node, "h2", "an operation in flight proves nothing");
    const fresh = runManager(
      snap({ view: back({ running: ["keep"] }), local }),
      { type: "tick" },
      10_500,
    ).state;
    assert.equal(fresh.hosts["h2"]!.state, "online");
    assert.equal(fresh.resources["keep"]!.state, "started");
    assert.equal(fresh.resources["keep"]!.node, "h2");
    assert.notEqual(fresh.resources["db"]!.node, "h2");
  });

  it("H6: handled migrate requests are remembered while they exist; no replay after 64", () => {
    let state = runManager(snap(), { type: "tick" }, 0).state;
    const reqs = Array.from({ length: 70 }, (_, i) => ({ id: `m${i}`, resource: "web", target: "h9" }));
    let view = { ...snap().view, manager: state, managerRevision: 1, migrateRequests: reqs };
    const first = runManager(snap({ view }), { type: "tick" }, 1);
    state = first.state;
    assert.equal(state.handledRequests.length, 70);
    view = { ...view, manager: state, managerRevision: 2 };
    const second = runManager(snap({ view }), { type: "tick" }, 2);
    const replays = second.actions.filter((a) => a.type === "log" && /migrate to/.test(a.message));
    assert.equal(replays.length, 0, "nothing replayed");
    view = { ...view, manager: second.state, migrateRequests: reqs.slice(60) };
    const pruned = runManager(snap({ view }), { type: "tick" }, 3).state;
    assert.deepEqual(
      pruned.handledRequests,
      reqs.slice(60).map((q) => q.id),
    );
  });
});
