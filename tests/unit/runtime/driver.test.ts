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
  resources: { web: { kind: "vm", placement: { preferredHosts: ["h2"] } } },
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
  const check = () => {
    if (!reachable) throw new StoreUnavailableError("host h1", "unreachable");
  };
  const env: Env = {
    host: "h1",
    store: {
      keepalive: async () => check(),
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
      report: async (_r: HostReport) => check(),
    },
    driver: {
      list: async () => [...running],
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
    watchdog: { arm: async () => {}, pet: async () => void calls.push("pet"), disarm: async () => {} },
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
    const s1 = await runIteration(f.env, agent);
    assert.match(s1, /fencing h2/);
    f.now.t = 1250;
    await runIteration(f.env, agent);
    assert.deepEqual(
      f.calls.filter((c) => c.startsWith("fence")),
      ["fence h2"],
      "not started twice while in flight",
    );
    assert.equal(f.state()?.resources["web"]?.state, "recovering");
    f.release(true);
    await new Promise((r) => setImmediate(r));
    f.now.t = 1500;
    await runIteration(f.env, agent);
    assert.equal(f.state()?.hosts["h2"]?.state, "fenced");
    assert.equal(f.state()?.resources["web"]?.node, "h1");
    assert.ok(f.calls.includes("start web"), "the primary's own agent started it");
  });

  it("an unreachable store: no commit, no pet once the lease is lost", async () => {
    const f = fakeEnv();
    const agent = newAgentRuntime("h1");
    await runIteration(f.env, agent);
    const commits = f.state();
    f.setReachable(false);
    f.calls.length = 0;
    f.now.t = 2000;
    const s = await runIteration(f.env, agent);
    assert.match(s, /isolated from the store/);
    assert.equal(f.state(), commits);
    assert.equal(agent.local.primary, false);
  });
});
