// One host's simulated hypervisor (libvirt + QEMU): what it runs is the ground truth. Every
// operation takes time and completes in the hypervisor even when the agent that asked is
// stalled or gone (a QEMU being created keeps booting, a graceful shutdown keeps going); only
// the ANSWER goes to the agent (not while it is stalled, never to a later incarnation), and
// nothing of an earlier boot completes after a power loss. libvirt can be down for a while
// (list and every call fail fast) or hung (calls wait until it is back). Durations, ms:
//   start   300-600 (the domain exists from half-way, the call returns at the end)
//   stop    graceful guest shutdown 1000-3000 within the agent's graceful window (10 s, or the
//           isolation budget minus 400 ms when the lease is in doubt, as agent/resources.ts),
//           then destroy
//   kill    200-300 (virsh destroy)       migrate 800-1500 (atomic switch at the end)
//   list    5-20                           monitor 5-20          fence 300-800 per attempt

import { timingWindows } from "../core/timing";
import type { MonitorResult, ResourceSpec } from "../env";
import { RetryableError, TerminalError } from "../env";
import type { AgentProc, SimHost, SimWorld } from "./world";

export type OpKind = "start" | "stop" | "kill" | "migrate" | "list" | "monitor" | "fence";
export type OpTimes = Record<OpKind, [number, number]>;

export function defaultOpTimes(): OpTimes {
  return {
    start: [300, 600],
    stop: [1000, 3000],
    kill: [200, 300],
    migrate: [800, 1500],
    list: [5, 20],
    monitor: [5, 20],
    fence: [300, 800],
  };
}

const GRACEFUL_STOP_MS = 10_000;
const DESTROY_RESERVE_MS = 400;

export class Hypervisor {
  readonly running = new Set<string>();
  /** Resource -> time its guest heartbeat stopped. */
  readonly hung = new Map<string, number>();
  readonly unhealthy = new Set<string>();
  /** Resources whose start fails here ("*" = all). */
  readonly startFails = new Set<string>();
  /** libvirt unavailable until then; `hang`: calls wait instead of failing. */
  libvirtDownUntil = 0;
  libvirtHang = false;

  constructor(
    private readonly w: SimWorld,
    private readonly h: SimHost,
  ) {}

  clear(): void {
    this.running.clear();
    this.hung.clear();
  }

  duration(kind: OpKind): number {
    const [lo, hi] = this.w.ops[kind];
    return lo === hi ? lo : this.w.rng.int(lo, hi);
  }

  private libvirtDown(): boolean {
    return this.w.now < this.libvirtDownUntil;
  }

  /**
   * Runs an operation for agent `a`: waits for libvirt when it hangs, fails fast when it is
   * down, otherwise `body` runs in the hypervisor and returns the ms until the answer.
   */
  call<T>(a: AgentProc, what: string, body: (done: (fn: () => T) => void) => void): Promise<T> {
    const { w, h } = this;
    const boot = h.boot;
    return new Promise<T>((resolve, reject) => {
      const answer = (fn: () => T) => {
        if (h.boot !== boot) return;
        w.deliver(h, a.inc, 0, () => {
          try {
            resolve(fn());
          } catch (err) {
            reject(err);
          }
        });
      };
      const go = () => {
        if (h.boot !== boot) return;
        if (this.libvirtDown() && this.libvirtHang) {
          w.engine.at(this.libvirtDownUntil, go);
          return;
        }
        if (this.libvirtDown()) {
          w.engine.after(10, () =>
            answer(() => {
              throw new RetryableError(what, `libvirt on ${h.name} is not answering (simulated)`);
            }),
          );
          return;
        }
        body(answer);
      };
      go();
    });
  }

  list(a: AgentProc, spec: Readonly<Record<string, ResourceSpec>>): Promise<string[]> {
    return this.call(a, `host ${this.h.name}`, (done) => {
      this.w.engine.after(this.duration("list"), () => {
        const down = this.libvirtDown();
        const now = [...this.running].filter((r) => spec[r]).sort();
        done(() => {
          if (down) throw new RetryableError(`host ${this.h.name}`, "libvirt is not answering (simulated)");
          return now;
        });
      });
    });
  }

  start(a: AgentProc, name: string): Promise<void> {
    const { w, h } = this;
    w.inv.onStartCall(name, h.name, h);
    return this.call(a, `resource ${name}`, (done) => {
      const d = this.duration("start");
      const fails = this.startFails.has(name) || this.startFails.has("*");
      const boot = h.boot;
      if (!fails && !this.running.has(name)) {
        w.engine.after(d / 2, () => {
          if (h.boot !== boot || this.running.has(name)) return;
          this.running.add(name);
          w.inv.onAppear(name, h.name);
        });
      }
      w.engine.after(d, () =>
        done(() => {
          if (fails) throw new TerminalError(`resource ${name}`, "simulated start failure");
        }),
      );
    });
  }

  stop(a: AgentProc, name: string, mode: "stop" | "kill"): Promise<void> {
    const { w, h } = this;
    return this.call(a, `resource ${name}`, (done) => {
      const boot = h.boot;
      let d = this.duration("kill");
      if (mode === "stop" && this.running.has(name)) {
        const window = this.gracefulWindow(a);
        const guest = this.duration("stop");
        d = guest <= window ? guest : window + d;
      }
      w.engine.after(d, () => {
        if (h.boot !== boot) return;
        this.running.delete(name);
        this.hung.delete(name);
        done(() => undefined);
      });
    });
  }

  /** agent/resources.ts: the graceful part of a stop, bounded by the isolation budget. */
  private gracefulWindow(a: AgentProc): number {
    const t = a.runtime.spec?.timing;
    if (!t) return GRACEFUL_STOP_MS;
    const s = a.heartbeat.status();
    const win = timingWindows(t, s.ttlMs || t.leaseTtlMs);
    const age = a.env.clock.now() - s.lastAckSentAt;
    if (s.lostAt === undefined && age < win.isolateAfterMs) return GRACEFUL_STOP_MS;
    return Math.max(0, Math.min(GRACEFUL_STOP_MS, win.deadlineMs - age - DESTROY_RESERVE_MS));
  }

  monitor(a: AgentProc, name: string): Promise<MonitorResult> {
    return this.call(a, `resource ${name}`, (done) => {
      this.w.engine.after(this.duration("monitor"), () => {
        const since = this.hung.get(name);
        const r = {
          running: this.running.has(name),
          healthy: !this.unhealthy.has(name),
          heartbeatAgeMs: since === undefined ? 0 : this.w.now - since,
        };
        done(() => r);
      });
    });
  }

  migrate(a: AgentProc, name: string, target: string): Promise<void> {
    const { w, h } = this;
    w.inv.onStartCall(name, target, h, true);
    return this.call(a, `resource ${name}`, (done) => {
      if (!this.running.has(name)) {
        w.engine.after(10, () =>
          done(() => {
            throw new TerminalError(`resource ${name}`, `not running on ${h.name}`);
          }),
        );
        return;
      }
      const boot = h.boot;
      // the destination QEMU dies with its host: a target power-cycled meanwhile fails it
      const targetBoot = w.hosts.get(target)?.boot;
      w.engine.after(this.duration("migrate"), () => {
        if (h.boot !== boot) return;
        const t = w.hosts.get(target);
        const why =
          !t?.power || t.boot !== targetBoot
            ? `migration target ${target} is off`
            : h.networkOff || t.networkOff
              ? `no network between ${h.name} and ${target}`
              : !this.running.has(name)
                ? `${name} stopped during the migration`
                : undefined;
        if (why || !t) {
          done(() => {
            throw new RetryableError(`resource ${name}`, why ?? "no target");
          });
          return;
        }
        this.running.delete(name);
        const hungSince = this.hung.get(name);
        this.hung.delete(name);
        t.hv.running.add(name);
        if (hungSince !== undefined) t.hv.hung.set(name, hungSince);
        w.inv.onAppear(name, target, h.name);
        done(() => undefined);
      });
    });
  }
}
