// The simulator's Env: the same port the real agent implements (../env.ts), bound to one agent
// process (AgentProc) on one simulated host. Every call answers through the world's event
// queue after simulated time: store calls (sim/store.ts), hypervisor operations
// (sim/hypervisor.ts), fence attempts, sleeps. The clock is the process's own: monotonic, at the
// host's rate, from an origin that differs per host (and per restart); in `wallMode` it is the
// host's wall clock instead, steps included (the clock of commit 56bea08, for the M1 scenario).
import type { ManagerState, StoreView } from "../core/model";
import type { CommitGuard, Env, FenceDevice, ResourceSpec } from "../env";
import { NotPrimaryError, RetryableError } from "../env";
import { storeCall } from "./store";
import type { AgentProc, SimHost, SimWorld } from "./world";

/** The Clock.budgetMs() of the real agent: long operations stay in flight past it. */
export const SIM_BUDGET_MS = 100;

export function createSimEnv(w: SimWorld, h: SimHost, a: AgentProc): Env {
  const clock = {
    now: () => (h.clock.wallMode ? w.now + h.clock.wallOffset : a.origin + (w.now - a.startedAt) * a.rate),
    // As the real clock: an idle sleep ends early when the heartbeat has news (a lost lease);
    // a sleep of the operation budget never does.
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        let done = false;
        const fire = () => {
          if (done) return;
          done = true;
          if (a.wake === fire) a.wake = undefined;
          resolve();
        };
        if (ms !== SIM_BUDGET_MS) a.wake = fire;
        w.deliver(h, a.inc, ms / a.rate, fire);
      }),
    budgetMs: () => SIM_BUDGET_MS,
  };
  return {
    host: h.name,
    store: simStore(w, h, a),
    lease: {
      status: () => a.heartbeat.status(),
      join: (t, g) => a.heartbeat.join(t, g),
      putPresence: () => a.heartbeat.putPresence(),
      counted: (id) => a.heartbeat.counted(id),
    },
    disk: {
      loadSpec: () => structuredClone(h.disk.spec),
      saveSpec: (doc) => {
        h.disk.spec = structuredClone(doc);
      },
    },
    driver: {
      list: (spec) => h.hv.list(a, spec),
      start: (name) => h.hv.start(a, name),
      stop: (name, _spec, mode) => h.hv.stop(a, name, mode),
      monitor: (name) => h.hv.monitor(a, name),
      migrate: (name, _spec: ResourceSpec, target) => h.hv.migrate(a, name, target),
    },
    fencer: {
      fence: (host, device, timeoutMs) => fence(w, h, a, host, device, timeoutMs),
      status: (host, _device, timeoutMs) => powerStatus(w, h, a, host, timeoutMs),
    },
    watchdog: {
      arm: async () => w.pet(h, true),
      pet: async () => w.pet(h, false),
      async disarm() {
        h.wd.armed = false;
      },
      info: () => (h.wd.device ? { timeoutMs: h.wd.timeoutMs } : undefined),
    },
    clock,
    log: { log: (r) => w.record(r) },
  };
}

/** One fence attempt: the device takes time; a failing one times out (fenceTimeoutMs) or errs. */
function fence(w: SimWorld, h: SimHost, a: AgentProc, host: string, _d: FenceDevice, timeoutMs: number) {
  const t = w.host(host);
  const fails = t.fenceFailures > 0;
  if (fails) t.fenceFailures--;
  const d = fails
    ? t.fenceFailures % 2 === 0
      ? timeoutMs
      : 50
    : Math.min(h.hv.duration("fence"), timeoutMs);
  return new Promise<boolean>((resolve, reject) => {
    w.engine.after(d, () => {
      if (!fails) {
        w.say("sim", "fence", `device powered ${host} off`);
        w.powerOff(t);
        w.inv.fenced(host);
      }
      w.deliver(h, a.inc, 0, () => {
        if (fails) reject(new RetryableError(`host ${host}`, "fence device timed out (simulated)"));
        else resolve(true);
      });
    });
  });
}

/** The device's `status`: the host's real power state, unless the device is failing (it errs). */
function powerStatus(w: SimWorld, h: SimHost, a: AgentProc, host: string, timeoutMs: number) {
  const t = w.host(host);
  const fails = t.fenceFailures > 0;
  // a fence attempt is off + status: status alone takes about half of it
  const d = fails ? 50 : Math.min(Math.ceil(h.hv.duration("fence") / 2), timeoutMs);
  return new Promise<"on" | "off">((resolve, reject) => {
    w.engine.after(d, () => {
      const off = !t.power;
      // the device confirmed it off: the same proof a fence's status gives (invariant 3)
      if (off && !fails) w.inv.fenced(host);
      w.deliver(h, a.inc, 0, () => {
        if (fails) reject(new RetryableError(`host ${host}`, "fence device timed out (simulated)"));
        else resolve(off ? "off" : "on");
      });
    });
  });
}

/** The store as seen from this agent: etcd semantics (leases, election, CAS on revision). */
function simStore(w: SimWorld, h: SimHost, a: AgentProc): Env["store"] {
  const s = w.store;
  const myLease = () => Number(a.heartbeat.status().id || -1);
  return {
    campaign: (eligible: boolean) =>
      storeCall(w, h, "campaign", () => {
        const mine = myLease();
        const holder = s.primary();
        const held = holder !== undefined && s.election?.leaseId === mine;
        if (eligible && !holder && s.leaseAlive(mine)) {
          s.election = { host: h.name, leaseId: mine };
          s.revision++;
          return true;
        }
        if (!eligible && held) {
          s.election = undefined;
          s.electionLostAt.set(h.name, w.now);
          s.revision++;
          return false;
        }
        return held;
      }),
    read: (): Promise<StoreView> => storeCall(w, h, "read", () => s.view()),
    commitManager: (expected: number, state: ManagerState, guard?: CommitGuard) => {
      // the view the primary decided on (invariant c judges the proof it used)
      const view = a.runtime.view;
      return storeCall(w, h, "commit", () => {
        if (s.election?.leaseId !== myLease() || !s.leaseAlive(myLease())) {
          throw new NotPrimaryError(`host ${h.name}`, "no longer holds the election");
        }
        if (expected !== s.managerRevision) {
          throw new NotPrimaryError(
            `host ${h.name}`,
            `manager revision is ${s.managerRevision}, not ${expected}`,
          );
        }
        const back = (guard?.absentLeases ?? []).filter((x) => s.hostAlive(x));
        if (back.length) {
          throw new NotPrimaryError(
            `host ${h.name}`,
            `${back.join(", ")} (to be fenced) came back with a new lease`,
          );
        }
        const before = s.manager;
        s.revision++;
        s.manager = structuredClone(state);
        s.lastCommitted = s.manager;
        s.managerRevision = s.revision;
        w.inv.afterCommit(h.name, before, s.manager as ManagerState, view);
        return s.revision;
      });
    },
    report: (r) =>
      storeCall(w, h, "report", () => {
        // bound to the lease: put only under a live lease
        const id = myLease();
        if (!s.leaseAlive(id)) return;
        s.reports.set(h.name, { value: structuredClone(r), leaseId: id });
        s.revision++;
      }),
  };
}
