// Proves that the simulator's checker CAN fail: for each invariant, a run with a deliberately
// broken core (AgentRuntime.decide wrapped) or a broken world, and the checker reports exactly
// that rule (the tags of sim/invariants.ts). A checker that never fires proves nothing.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide } from "../../../provider/runtime/core/decide";
import type { Action, Decision, Snapshot } from "../../../provider/runtime/core/model";
import { parseEvents } from "../../../provider/runtime/sim/events";
import type { Rule } from "../../../provider/runtime/sim/invariants";
import { type RunOptions, runScenario } from "../../../provider/runtime/sim/runner";

type Decide = typeof decide;
const dev = (plug: string) => ({ agent: "fence_vmha_sim", params: { plug } });

/** h1 and h2 (h2: fence device), web pinned to h2 (banned from h1: freeing it starts nothing). */
const PINNED = {
  version: 1,
  name: "checker",
  admissionControl: { policy: "disabled" },
  hosts: { h1: { cpu: 8, memoryMiB: 16384 }, h2: { cpu: 8, memoryMiB: 16384, fence: dev("h2") } },
  resources: {
    web: {
      kind: "vm",
      reservation: { cpu: 1, memoryMiB: 1024 },
      placement: { preferredHosts: ["h2"], bannedHosts: ["h1"] },
    },
  },
};

/** Three hosts, web prefers h2; spare is stopped in the spec. */
const TRIO = {
  version: 1,
  name: "checker",
  admissionControl: { policy: "hostFailures", hostFailures: 1 },
  hosts: {
    h1: { cpu: 8, memoryMiB: 16384 },
    h2: { cpu: 8, memoryMiB: 16384, fence: dev("h2") },
    h3: { cpu: 8, memoryMiB: 16384, fence: dev("h3") },
  },
  resources: {
    web: { kind: "vm", reservation: { cpu: 2, memoryMiB: 2048 }, placement: { preferredHosts: ["h2"] } },
    spare: { kind: "vm", state: "stopped", reservation: { cpu: 1, memoryMiB: 1024 } },
  },
};

async function rulesOf(cluster: unknown, events: string, opts: RunOptions = {}) {
  const r = await runScenario(cluster, parseEvents(events), { verbose: false, ...opts });
  const rules = new Set<string>();
  for (const v of r.violations) rules.add(/\[([a-z-]+)\]/.exec(v)?.[1] ?? "?");
  return { rules, r };
}

async function firesExactly(rule: Rule, cluster: unknown, events: string, opts: RunOptions) {
  const clean = await rulesOf(cluster, events);
  assert.deepEqual(
    [...clean.rules],
    [],
    `the correct core must pass first:\n${clean.r.violations.join("\n")}`,
  );
  const broken = await rulesOf(cluster, events, opts);
  assert.deepEqual([...broken.rules], [rule], broken.r.violations.join("\n") || "nothing fired");
}

const withActions =
  (f: (s: Snapshot, d: Decision) => Action[]): Decide =>
  (s, e, n, p) => {
    const d = decide(s, e, n, p);
    return { ...d, actions: f(s, d) };
  };

describe("the simulator's checker fires on a broken core or world", () => {
  it("double-run: a core that starts every resource everywhere", async () => {
    const broken = withActions((s, d) => {
      const extra = Object.keys(s.spec.resources)
        .filter(
          (r) =>
            s.spec.resources[r]!.state === "started" &&
            !s.running.includes(r) &&
            !s.inFlight.includes(`start:${r}`),
        )
        .map((r): Action => ({ type: "start", resource: r }));
      const online = s.view.manager?.hosts[s.self]?.state === "online";
      return [...d.actions, ...(s.lease.state === "held" && online ? extra : [])];
    });
    await firesExactly("double-run", TRIO, "advance 3s", { decide: broken });
  });

  it("start-not-online: a core that starts on a host the committed state says is fenced", async () => {
    const broken = withActions((s, d) => {
      const st = s.view.manager?.hosts[s.self]?.state;
      const go =
        st === "fenced" &&
        s.lease.state === "held" &&
        !s.running.includes("spare") &&
        !s.inFlight.includes("start:spare");
      return go ? [...d.actions, { type: "start", resource: "spare" }] : d.actions;
    });
    await firesExactly(
      "start-not-online",
      TRIO,
      "advance 1s\nnetwork h3 off\nadvance 3s\nnetwork h3 on\npower h3 on\nadvance 300ms",
      { decide: broken },
    );
  });

  it("early-recovery: a core that takes a lease expiry as device proof", async () => {
    const broken: Decide = (s, e, n, p) => {
      const fencing = Object.entries(s.view.manager?.hosts ?? {}).find(([, h]) => h.state === "fencing");
      if (s.isPrimary && e.type === "tick" && fencing)
        return decide(s, { type: "fence-result", host: fencing[0], off: true }, n, p);
      return decide(s, e, n, p);
    };
    await firesExactly(
      "early-recovery",
      TRIO,
      "advance 1s\nfence h2 fails always\npower h2 off\nadvance 3s",
      { decide: broken },
    );
  });

  it("admission: a core that admits everything", async () => {
    const broken = withActions((_s, d) =>
      d.actions.map((a) => {
        if (a.type !== "commit") return a;
        const state = structuredClone(a.state);
        for (const rec of Object.values(state.resources)) rec.admitted = true;
        return { ...a, state };
      }),
    );
    const big = {
      ...TRIO,
      resources: { ...TRIO.resources, big: { kind: "vm", reservation: { cpu: 15, memoryMiB: 1024 } } },
    };
    await firesExactly("admission", big, "advance 2s", { decide: broken });
  });

  it("two-primaries: a core that believes it holds the election everywhere", async () => {
    const broken: Decide = (s, e, n, p) => decide({ ...s, isPrimary: s.lease.state === "held" }, e, n, p);
    await firesExactly("two-primaries", TRIO, "advance 2s", { decide: broken });
  });

  it("fencing-deadline: a world whose watchdog never fires, on a hung agent", async () => {
    await firesExactly(
      "fencing-deadline",
      PINNED,
      "advance 2s\nagent h2 hang\nfence h2 fails always\nadvance 5s",
      {
        setup: (w) => {
          w.host("h2").wd.broken = true;
        },
      },
    );
  });

  it("pet-while-isolated: a core that always pets", async () => {
    const broken = withActions((_s, d) => [
      ...d.actions.filter((a) => a.type !== "watchdog"),
      { type: "watchdog", op: "pet" },
    ]);
    await firesExactly(
      "pet-while-isolated",
      PINNED,
      "advance 2s\nfence h2 fails always\nnetwork h2 off\nadvance 4s",
      { decide: broken },
    );
  });

  it("stale-proof: a core that frees on a report it never got (h2 'back' while it is cut off)", async () => {
    const fake = { host: "h2", at: 0, managerRevision: 1e9, listed: true, running: [], busy: [], failed: {} };
    const broken: Decide = (s, e, n, p) => {
      const h2 = s.view.manager?.hosts.h2;
      // late enough that no deadline rule applies: only the missing proof is wrong
      if (!s.isPrimary || h2?.state !== "fencing" || n - h2.since < 2500) return decide(s, e, n, p);
      const view = { ...s.view, leases: [...s.view.leases, "h2"], reports: { ...s.view.reports, h2: fake } };
      return decide({ ...s, view }, e, n, p);
    };
    // web (isolation none) waits for h2's device, which always fails; it crashed meanwhile, so
    // freeing it runs it once: only the proof is missing
    const none = { ...TRIO, resources: { web: { ...TRIO.resources.web, isolationResponse: "none" } } };
    const events = "advance 2s\nfence h2 fails always\nnetwork h2 off\nvm web crash\nadvance 5s";
    await firesExactly("stale-proof", none, events, { decide: broken });
  });

  it("false-isolation: a core that isolates whenever the store does not answer", async () => {
    const broken: Decide = (s, e, n, p) =>
      decide(
        e.type === "store-unreachable"
          ? { ...s, lease: { ...s.lease, state: "lost", sinceAckMs: Number.POSITIVE_INFINITY } }
          : s,
        e,
        n,
        p,
      );
    await firesExactly("false-isolation", TRIO, "advance 2s\nstore election 600ms\nadvance 3s", {
      decide: broken,
    });
  });

  it("false-isolation: a core that believes a revocation (isolates on the lease taken after it)", async () => {
    const broken: Decide = (s, e, n, p) =>
      decide(
        s.lease.previousAckMs !== undefined
          ? { ...s, lease: { ...s.lease, sinceAckMs: Number.POSITIVE_INFINITY } }
          : s,
        e,
        n,
        p,
      );
    await firesExactly("false-isolation", TRIO, "advance 2s\nstore revoke h2\nadvance 3s", {
      decide: broken,
    });
  });

  // h2 is back ~10 ms after it learns of the revocation; the primary saw the key gone first
  const revokedSeen = "store latency 20ms\nadvance 2100ms\nstore revoke h2\nadvance 3s";
  const noGrace = (s: Snapshot): Snapshot => ({
    ...s,
    spec: { ...s.spec, timing: { ...s.spec.timing, rejoinGraceMs: 0 } },
  });

  it("false-isolation: a primary that fences a host whose lease vanished at once, without the commit's guard", async () => {
    const unguarded: Decide = (s, e, n, p) => {
      const d = decide(noGrace(s), e, n, p);
      return { ...d, actions: d.actions.map((a) => (a.type === "commit" ? { ...a, absentLeases: [] } : a)) };
    };
    await firesExactly("false-isolation", TRIO, revokedSeen, { decide: unguarded });
  });

  it("the commit's guard alone keeps a primary without grace from fencing a host that came back", async () => {
    const { rules, r } = await rulesOf(TRIO, revokedSeen, {
      decide: (s, e, n, p) => decide(noGrace(s), e, n, p),
    });
    assert.deepEqual([...rules], [], r.violations.join("\n"));
    assert.ok(!r.lines.some((l) => / fence attempt/.test(l)), "no fence attempt");
    assert.ok(
      r.lines.some((l) => /h2 \(to be fenced\) came back with a new lease/.test(l)),
      "the guard refused",
    );
  });

  it("agent-crash: a core that throws on a report it does not expect (logged: decision failed)", async () => {
    const broken: Decide = (s, e, n, p) => {
      if (Object.values(s.view.reports).some((r) => r.running.includes("constructor")))
        throw new TypeError("resources[r] is undefined");
      return decide(s, e, n, p);
    };
    const bad =
      '{"host":"h3","at":0,"managerRevision":0,"listed":true,"running":["constructor"],"busy":[],"failed":{}}';
    await firesExactly("agent-crash", TRIO, `advance 1s\nstore put reports/h3 ${bad}\nadvance 1s`, {
      decide: broken,
    });
  });

  it("agent-crash: a world whose store throws what it must not (runIteration rejects)", async () => {
    await firesExactly("agent-crash", TRIO, "advance 1s\nstore put manager 1\nadvance 1s", {
      setup: (w) => {
        const view = w.store.view.bind(w.store);
        w.store.view = () => {
          if (w.store.manager === 1) throw new TypeError("unexpected value");
          return view();
        };
      },
    });
  });

  it("liveness: a core that never starts anything leaves resources down after healing", async () => {
    const broken = withActions((_s, d) => d.actions.filter((a) => a.type !== "start"));
    const { r } = await rulesOf(TRIO, "advance 3s", { decide: broken });
    assert.deepEqual(r.world.inv.settled(), ["web (starting on h2) runs on 0 hosts"]);
    const ok = await rulesOf(TRIO, "advance 3s");
    assert.deepEqual(ok.r.world.inv.settled(), []);
  });
});
