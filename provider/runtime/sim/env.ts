// The simulator's Env: the same port the real agent implements (../env.ts), bound to one
// simulated host of a SimWorld. Every call is synchronous underneath (resolved promises), so
// the shared driver loop runs deterministically; Clock.sleep never resolves (the world, not
// the agent, advances time), so no operation is ever left "in flight" across iterations.
import type { HostReport, ManagerState, MonitorResult, StoreView } from "../core/model";
import type { Env, FenceDevice, ResourceSpec } from "../env";
import { NotPrimaryError, RetryableError, StoreUnavailableError, TerminalError } from "../env";
import type { SimHost, SimWorld } from "./world";

const clone = <T>(x: T): T => structuredClone(x);

/** One host's Env on the world. */
export function createSimEnv(w: SimWorld, h: SimHost): Env {
  return {
    host: h.name,
    store: simStore(w, h),
    lease: h.heartbeat,
    disk: {
      loadSpec: () => h.disk.spec,
      saveSpec: (doc) => {
        h.disk.spec = clone(doc);
      },
    },
    driver: simDriver(w, h),
    fencer: {
      async fence(host: string, _device: FenceDevice) {
        const t = w.host(host);
        if (t.fenceFailures > 0) {
          t.fenceFailures--;
          throw new RetryableError(`host ${host}`, "fence device timed out (simulated)");
        }
        w.say("sim", "fence", `device powered ${host} off`);
        w.powerOff(t);
        w.inv.fenced(host);
        return true;
      },
    },
    watchdog: {
      async arm() {},
      async pet() {
        h.lastPet = w.now;
      },
      async disarm() {},
      info: () => ({ timeoutMs: w.timing.watchdogTimeoutMs }),
    },
    clock: {
      now: () => w.now,
      sleep: () => new Promise<void>(() => {}),
      budgetMs: () => 0,
    },
    log: { log: (r) => w.record(r) },
  };
}

/** The store as seen from host h: etcd semantics (leases, election, CAS on revision). */
function simStore(w: SimWorld, h: SimHost): Env["store"] {
  const reach = (what: string) => {
    if (!w.reachable(h)) {
      const why = w.store.down ? "store down" : "store unreachable from this host";
      throw new StoreUnavailableError(`host ${h.name}`, `${what}: ${why}`);
    }
  };
  return {
    async campaign(eligible: boolean) {
      reach("campaign");
      const holder = w.primary();
      if (eligible && !holder && w.leaseAlive(h.name)) {
        w.store.election = h.name;
        w.store.revision++;
      } else if (!eligible && holder === h.name) {
        w.store.election = undefined;
        w.store.revision++;
      }
      return w.primary() === h.name;
    },
    async read(): Promise<StoreView> {
      reach("read");
      const alive = [...w.hosts.keys()].filter((x) => w.leaseAlive(x)).sort();
      const reports: Record<string, HostReport> = {};
      for (const x of alive) {
        const r = w.store.reports.get(x);
        if (r) reports[x] = clone(r);
      }
      return {
        revision: w.store.revision,
        spec: clone(w.specDoc),
        specRevision: w.specRevision,
        manager: w.store.manager ? clone(w.store.manager) : undefined,
        managerRevision: w.store.managerRevision,
        leases: alive,
        primary: w.primary(),
        reports,
        maintenance: [...w.store.maintenance].sort(),
        migrateRequests: clone(w.store.migrate),
      };
    },
    async commitManager(expected: number, state: ManagerState) {
      reach("commit");
      if (w.primary() !== h.name) throw new NotPrimaryError(`host ${h.name}`, "no longer holds the election");
      if (expected !== w.store.managerRevision) {
        throw new NotPrimaryError(
          `host ${h.name}`,
          `manager revision is ${w.store.managerRevision}, not ${expected}`,
        );
      }
      const before = w.store.manager;
      w.store.revision++;
      w.store.manager = clone(state);
      w.store.managerRevision = w.store.revision;
      w.inv.afterCommit(before, w.store.manager);
      return w.store.revision;
    },
    async report(r: HostReport) {
      reach("report");
      // bound to the lease: a report is put only under a live lease
      if (!w.leaseAlive(h.name)) return;
      w.store.reports.set(h.name, clone(r));
    },
  };
}

/** Host h's hypervisor: what it runs is the ground truth the invariants judge. */
function simDriver(w: SimWorld, h: SimHost): Env["driver"] {
  return {
    async list(spec: Readonly<Record<string, ResourceSpec>>) {
      return [...h.running].filter((r) => spec[r]).sort();
    },
    async start(name: string) {
      if (!h.power) throw new RetryableError(`resource ${name}`, `host ${h.name} is off`);
      if (h.startFails.has(name) || h.startFails.has("*")) {
        throw new TerminalError(`resource ${name}`, "simulated start failure");
      }
      if (h.running.has(name)) return;
      h.running.add(name);
      w.inv.afterStart(name, h.name);
    },
    async stop(name: string) {
      h.running.delete(name);
      h.hung.delete(name);
    },
    async monitor(name: string): Promise<MonitorResult> {
      const since = h.hung.get(name);
      return {
        running: h.running.has(name),
        healthy: !h.unhealthy.has(name),
        heartbeatAgeMs: since === undefined ? 0 : w.now - since,
      };
    },
    async migrate(name: string, _spec: ResourceSpec, target: string) {
      const t = w.hosts.get(target);
      if (!t?.power) throw new RetryableError(`resource ${name}`, `migration target ${target} is off`);
      if (h.networkOff || t.networkOff) {
        throw new RetryableError(`resource ${name}`, `no network between ${h.name} and ${target}`);
      }
      if (!h.running.has(name)) throw new TerminalError(`resource ${name}`, `not running on ${h.name}`);
      h.running.delete(name);
      const hungSince = h.hung.get(name);
      h.hung.delete(name);
      t.running.add(name);
      if (hungSince !== undefined) t.hung.set(name, hungSince);
      w.inv.afterStart(name, target);
    },
  };
}
