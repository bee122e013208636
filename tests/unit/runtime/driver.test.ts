// The shared driver loop with an Env whose operations are slow (as real fence devices and
// libvirt are): a long operation is started once, not waited for beyond the budget, never
// started again while in flight, and its result reaches the core in a later iteration.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newAgentRuntime, runIteration, type StoreView } from "../../../provider/runtime/core";
import type { Env, HostReport, ManagerState } from "../../../provider/runtime/env";
import { StoreUnavailableError } from "../../../provider/runtime/env";

const spec = {
  version: 1,
  name: "t",
  hosts: { h1: { cpu: 8, memoryMiB: 8192 }, h2: { cpu: 8, memoryMiB: 8192, fence: { agent: "fence_x" } } },
  resources: {
    web: { kind: "vm", placement: { preferredHosts: ["h2"] } },
    db: { kind: "vm", placement: { preferredHosts: ["h1"] } },
  },
};

function fakeEnv() {
  const calls: string[] = [];
  let manager: ManagerState | undefined;
  let rev = 0;
  let leases = ["h1", "h2"];
  let reachable = true;
  let releaseFence: ((off: boolean) => void) | undefined;
  const now = { t: 0 };
  const running = new Set<string>();
  let lastAck = 0;
  let listFails = false;
  const reports: HostReport[] = [];
  const disk: { spec?: unknown } = {};
  const check = () => {
    if (!reachable) throw new StoreUnavailableError("host h1", "unreachable");
  };
  const env: Env = {
    host: "h1",
    lease: {
      // acknowledged at every look while the store is reachable
      status: () => {
        if (reachable) lastAck = now.t;
        return { id: "1", generation: 1, lastAckSentAt: lastAck, ttlMs: 1000, askedTtlMs: 1000 };
      },
      join: async () => check(),
      putPresence: async () => check(),
    },
    disk: {
      loadSpec: () => disk.spec,
      saveSpec: (d) => {
        disk.spec = d;
      },
    },
    store: {
      campaign: async () => {
        check();
        return true;
      },
      read: async (): Promise<StoreView> => {
        check();
        return {
          revision: rev,
          spec,
          specRevision: 1,
          manager: manager && structuredClone(manager),
          managerRevision: rev,
          leases,
          primary: "h1",
          reports: {},
          maintenance: [],
          migrateRequests: [],
        };
      },
      commitManager: async (expected, state) => {
        check();
        assert.equal(expected, rev);
        manager = structuredClone(state);
        return ++rev;
      },
      report: async (r: HostReport) => {
        check();
        reports.push(r);
      },
    },
    driver: {
      list: async () => {
        if (listFails) throw new Error("libvirt: connection refused");
        return [...running];
      },
      start: async (n) => {
        calls.push(`start ${n}`);
        running.add(n);
      },
      stop: async (n) => {
        running.delete(n);
      },
      monitor: async (n) => ({ running: running.has(n), healthy: true }),
      migrate: async () => {},
    },
    fencer: {
      fence: (host) => {
        calls.push(`fence ${host}`);
        return new Promise<boolean>((resolve) => {
          releaseFence = resolve;
        });
      },
    },
    watchdog: {
      arm: async () => {},
      pet: async () => void calls.push("pet"),
      disarm: async () => {},
      info: () => ({ timeoutMs: 2000 }),
    },
    clock: { now: () => now.t, sleep: () => new Promise((r) => setImmediate(r)), budgetMs: () => 0 },
    log: { log: () => {} },
  };
  return {
    env,
    calls,
    now,
    state: () => manager,
    kill: (h: string) => {
      leases = leases.filter((x) => x !== h);
    },
    release: (off: boolean) => releaseFence?.(off),
    setReachable: (r: boolean) => {
      reachable = r;
    },
    setListFails: (v: boolean) => {
      listFails = v;
    },
    reports,
    disk,
  };
}

describe("driver loop", () => {
  it("a slow fence is started once, and its late result recovers the resource", async () => {
    const f = fakeEnv();
    const agent = newAgentRuntime("h1");
    await runIteration(f.env, agent);
    assert.equal(f.state()?.resources["web"]?.node, "h2");
    f.kill("h2");
    f.now.t = 1000;
    const s0 = await runIteration(f.env, agent);
    assert.match(s0, /h2 suspect: lease gone; fencing in 0.4s/);
    f.now.t = 1400;
    const s1 = await runIteration(f.env, agent);
    assert.match(s1, /fencing h2/);
    f.now.t = 1650;
    await runIteration(f.env, agent);
    assert.deepEqual(
      f.calls.filter((c) => c.startsWith("fence")),
      ["fence h2"],
      "not started twice while in flight",
    );
    assert.equal(f.state()?.resources["web"]?.state, "recovering");
    f.release(true);
    await new Promise((r) => setImmediate(r));
    f.now.t = 1900;
    await runIteration(f.env, agent);
    assert.equal(f.state()?.hosts["h2"]?.state, "fenced");
    assert.equal(f.state()?.resources["web"]?.node, "h1");
    assert.ok(f.calls.includes("start web"), "the primary's own agent started it");
  });

  it("an unreachable store: no commit; pets while the last ack is young, none past P; isolation at L + D - S - B", async () => {
    const f = fakeEnv();
    const agent = newAgentRuntime("h1");
    await runIteration(f.env, agent);
    f.now.t = 250;
    await runIteration(f.env, agent);
    assert.deepEqual(agent.local.running, ["db"]);
    const commits = f.state();
    f.setReachable(false);
    f.calls.length = 0;
    f.now.t = 500;
    await runIteration(f.env, agent);
    assert.deepEqual(f.calls, ["pet"], "500 ms after the last ack: still petted (P = 700 ms)");
    f.calls.length = 0;
    f.now.t = 1500;
    const waiting = await runIteration(f.env, agent);
    assert.match(waiting, /store unreachable for 1.25s; isolation response in 0.45s/);
    assert.deepEqual(f.calls, [], "no pet 1.25 s after the last ack while a VM runs");
    f.now.t = 1950;
    const s = await runIteration(f.env, agent);
    assert.match(s, /isolated \(lease unknown\)/);
    assert.equal(f.state(), commits);
    assert.equal(agent.local.primary, false);
    assert.equal(agent.wakeInMs, undefined);
  });

  it("tells the loop when the isolation is due (a deadline on a timer, not at the next period)", async () => {
    const f = fakeEnv();
    const agent = newAgentRuntime("h1");
    await runIteration(f.env, agent);
    f.setReachable(false);
    f.now.t = 1000;
    await runIteration(f.env, agent);
    assert.equal(agent.wakeInMs, 700);
  });

  it("a failed list is reported as not listed (never as running nothing)", async () => {
    const f = fakeEnv();
    const agent = newAgentRuntime("h1");
    await runIteration(f.env, agent);
    f.now.t = 250;
    await runIteration(f.env, agent);
    f.setListFails(true);
    f.now.t = 500;
    await runIteration(f.env, agent);
    const last = f.reports[f.reports.length - 1]!;
    assert.equal(last.listed, false);
    assert.deepEqual(last.running, ["db"], "the last known list, flagged as such");
  });

  it("a decision that throws neither kills the loop nor pets the watchdog", async () => {
    const f = fakeEnv();
    const agent = newAgentRuntime("h1");
    agent.decide = () => {
      throw new TypeError("boom");
    };
    const s = await runIteration(f.env, agent);
    assert.match(s, /decision failed: boom/);
    assert.ok(!f.calls.includes("pet"));
  });

  it("the spec is kept on the host's disk and used by a restarted agent that cannot reach the store", async () => {
    const f = fakeEnv();
    await runIteration(f.env, newAgentRuntime("h1"));
    assert.deepEqual(f.disk.spec, spec);
    f.setReachable(false);
    const fresh = newAgentRuntime("h1");
    const s = await runIteration(f.env, fresh);
    assert.ok(fresh.spec, "spec restored from the disk");
    assert.doesNotMatch(s, /waiting for a valid cluster spec/);
  });

  it("results beyond one iteration's cap of decisions are decided on in the next, never dropped", async () => {
    const f = fakeEnv();
    const agent = newAgentRuntime("h1");
    await runIteration(f.env, agent);
    // 250 operations finished between two iterations (a storm of results)
    for (let i = 0; i < 250; i++) {
      agent.inFlight.set(`stop:r${i}`, new Promise(() => {}));
      agent.completed.push({ type: "stop-result", resource: `r${i}`, ok: true });
    }
    f.now.t = 250;
    await runIteration(f.env, agent);
    assert.ok(agent.completed.length > 0, "the rest waits for the next iteration");
    f.now.t = 500;
    await runIteration(f.env, agent);
    const left = [...agent.inFlight.keys()].filter((k) => k.startsWith("stop:r"));
    assert.deepEqual(left, [], "a dropped result would leave its operation in flight for ever");
  });
});
