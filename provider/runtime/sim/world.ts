// The simulated world on a discrete-event engine (sim/engine.ts). Each host has power, a
// network, a store path, a hypervisor whose operations take time (sim/hypervisor.ts), a
// watchdog with its own timeout (or none), a fence device, its own clocks (a monotonic one
// with its own rate, and a wall clock that can step) and an agent: a process that runs the
// real driver iteration (core/driver.ts runIteration) in a loop like runAgent, with a separate
// heartbeat timer (sim/heartbeat.ts). Agents can stall (SIGSTOP: nothing of theirs runs, the
// hypervisor's operations still complete), crash and restart without power loss (fresh
// memory and heartbeat; VMs and disk kept). Ground truth (what the hypervisors run, what the
// watchdogs saw) is what the invariant checker (sim/invariants.ts) judges.

import type { decide } from "../core/decide";
import { type AgentRuntime, newAgentRuntime, runIteration } from "../core/driver";
import { type ClusterSpec, parseSpec, tryParseSpec } from "../core/spec";
import type { Env, LogRecord } from "../env";
import { Engine, Rng } from "./engine";
import { createSimEnv } from "./env";
import { SimHeartbeat } from "./heartbeat";
import { defaultOpTimes, Hypervisor, type OpTimes } from "./hypervisor";
import { Invariants } from "./invariants";
import { SimStore } from "./store";

export interface AgentProc {
  inc: number;
  runtime: AgentRuntime;
  heartbeat: SimHeartbeat;
  env: Env;
  /** World time the process started, its clock's value then, and the clock's rate. */
  startedAt: number;
  origin: number;
  rate: number;
  lastIterationEnd?: number;
  /** World time its last completed iteration began (its read: what it decided on). */
  lastIterationStart?: number;
  /** Ends the loop's idle sleep early (the real Clock.wake()). */
  wake?: () => void;
}

export interface SimWatchdog {
  /** A device exists (`watchdog <h> none` removes it). */
  device: boolean;
  timeoutMs: number;
  /** Never fires although it reports itself (a broken world, for the checker tests). */
  broken: boolean;
  armed: boolean;
  lastPet: number;
}

export interface SimHost {
  name: string;
  power: boolean;
  /** Boot count: operations of an earlier boot never complete. */
  boot: number;
  storeCut: boolean;
  networkOff: boolean;
  /** SIGSTOP until then (Infinity: `agent hang`). */
  stalledUntil: number | undefined;
  deferred: Array<() => void>;
  agent: AgentProc | undefined;
  incarnations: number;
  hv: Hypervisor;
  fenceFailures: number;
  wd: SimWatchdog;
  /** Wall clock = world time + wallOffset; the monotonic clock of an agent runs at `rate`. */
  clock: { wallOffset: number; rate: number; wallMode: boolean };
  disk: { spec?: unknown };
}

export class SimWorld {
  readonly engine = new Engine();
  readonly rng: Rng;
  readonly lines: string[] = [];
  readonly hosts = new Map<string, SimHost>();
  readonly store: SimStore;
  spec: ClusterSpec;
  readonly inv: Invariants;
  readonly ops: OpTimes = defaultOpTimes();
  /** Log sentences (every change per host) or not (fuzzing, faster). */
  verbose = true;
  /** systemd's delay before restarting a crashed agent. */
  restartDelayMs = 1000;
  /** A deliberately broken decide() for every agent (checker tests only). */
  brokenDecide: typeof decide | undefined;
  private booted = false;
  private requestSeq = 0;

  constructor(specDoc: unknown, seed = 1) {
    this.rng = new Rng(seed);
    this.store = new SimStore(this.engine);
    this.store.spec = specDoc;
    this.spec = parseSpec(specDoc);
    this.inv = new Invariants(this);
    for (const name of Object.keys(this.spec.hosts).sort()) this.addHost(name);
  }

  get now(): number {
    return this.engine.now;
  }

  get timing() {
    return this.spec.timing;
  }

  private addHost(name: string): void {
    const i = this.hosts.size;
    const h: SimHost = {
      name,
      power: true,
      boot: 1,
      storeCut: false,
      networkOff: false,
      stalledUntil: undefined,
      deferred: [],
      agent: undefined,
      incarnations: 0,
      hv: undefined as unknown as Hypervisor,
      fenceFailures: 0,
      wd: {
        device: true,
        timeoutMs: this.timing.watchdogTimeoutMs,
        broken: false,
        armed: false,
        lastPet: this.now,
      },
      // monotonic clocks of different hosts share no origin (each counts from its own boot)
      clock: { wallOffset: (i + 1) * 3_600_000, rate: 1, wallMode: false },
      disk: {},
    };
    h.hv = new Hypervisor(this, h);
    this.hosts.set(name, h);
    if (this.booted) this.startAgent(h);
  }

  host(name: string): SimHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name} in the cluster`);
    return h;
  }

  say(who: string, subject: string, message: string): void {
    this.lines.push(`${fmtTime(this.now).padStart(8)} ${who} ${subject}: ${message}`);
  }

  record(r: LogRecord): void {
    this.inv.onLog(r);
    if (r.subject === "sentence" && !this.verbose) return;
    this.say(r.host, r.subject, r.message);
  }

  reachable(h: SimHost): boolean {
    return h.power && !this.store.down && !h.storeCut;
  }

  primary(): string | undefined {
    return this.store.primary();
  }

  /** Starts every agent, each with the lease it was started with (time 0 of a scenario). */
  boot(): void {
    if (this.booted) return;
    this.booted = true;
    for (const h of this.hosts.values()) {
      if (!h.power) continue;
      const id = this.store.grant(h.name, Math.ceil(this.timing.leaseTtlMs / 1000) * 1000);
      this.startAgent(h);
      h.agent!.heartbeat.adopt(id);
    }
  }

  /** Runs the world until now + ms, checking the invariants after every event. */
  async advance(ms: number): Promise<void> {
    this.boot();
    await this.engine.run(this.now + ms, () => this.inv.check());
  }

  /** Runs `fn` in h's agent incarnation `inc` after `ms`: held while it is stalled, dropped once it is gone. */
  deliver(h: SimHost, inc: number, ms: number, fn: () => void): void {
    this.engine.after(ms, () => {
      if (h.agent?.inc !== inc) return;
      if (h.stalledUntil !== undefined) h.deferred.push(fn);
      else fn();
    });
  }

  /** A new agent process on h (memory and lease gone; VMs and disk kept). */
  startAgent(h: SimHost): void {
    if (!h.power) return;
    const inc = ++h.incarnations;
    const runtime = newAgentRuntime(h.name);
    if (this.brokenDecide) runtime.decide = this.brokenDecide;
    const wall = this.now + h.clock.wallOffset;
    const a: AgentProc = {
      inc,
      runtime,
      heartbeat: undefined as unknown as SimHeartbeat,
      env: undefined as unknown as Env,
      startedAt: this.now,
      origin: wall,
      rate: h.clock.rate,
    };
    a.heartbeat = new SimHeartbeat(this, h, a);
    a.env = createSimEnv(this, h, a);
    h.agent = a;
    h.deferred = [];
    a.heartbeat.start();
    this.deliver(h, inc, 0, () => void this.loop(h, a));
  }

  /** The loop of runAgent (core/driver.ts), on this process's clock. */
  private async loop(h: SimHost, a: AgentProc): Promise<void> {
    // as runAgent: the watchdog is armed by the first pet the core allows (runIteration)
    while (h.agent === a) {
      const began = a.env.clock.now();
      const startedAt = this.now;
      try {
        await runIteration(a.env, a.runtime);
      } catch (err) {
        this.inv.crash(h, err);
        this.killAgent(h);
        const boot = h.boot;
        this.engine.after(this.restartDelayMs, () => {
          if (h.boot === boot && !h.agent) this.startAgent(h);
        });
        return;
      }
      a.lastIterationEnd = this.now;
      a.lastIterationStart = startedAt;
      this.inv.afterIteration(h);
      const period = a.runtime.spec?.timing.keepaliveIntervalMs ?? 250;
      const elapsed = a.env.clock.now() - began;
      const wait = Math.min(period - elapsed, a.runtime.wakeInMs ?? Number.POSITIVE_INFINITY);
      await a.env.clock.sleep(Math.max(0, Math.ceil(wait)));
    }
  }

  /** The agent process dies (its pending calls never answer). */
  killAgent(h: SimHost): void {
    h.agent = undefined;
    h.deferred = [];
    h.stalledUntil = undefined;
  }

  /** Kill, and start again after `afterMs` (systemd). */
  restartAgent(h: SimHost, afterMs = 0): void {
    this.killAgent(h);
    this.inv.hostFault(h.name, this.now + afterMs);
    const boot = h.boot;
    this.engine.after(afterMs, () => {
      if (h.boot === boot && !h.agent) this.startAgent(h);
    });
  }

  /** SIGSTOP for `ms` (Infinity until resume()). */
  stall(h: SimHost, ms: number): void {
    if (!h.agent) return;
    const until = this.now + ms;
    h.stalledUntil = Math.max(h.stalledUntil ?? 0, until);
    this.inv.hostFault(h.name, h.stalledUntil);
    if (Number.isFinite(until)) this.engine.at(until, () => this.resumeIfDue(h));
  }

  resume(h: SimHost): void {
    if (h.stalledUntil === undefined) return;
    h.stalledUntil = this.now;
    this.inv.hostFault(h.name, this.now);
    this.resumeIfDue(h);
  }

  private resumeIfDue(h: SimHost): void {
    if (h.stalledUntil === undefined || h.stalledUntil > this.now) return;
    h.stalledUntil = undefined;
    const due = h.deferred.splice(0);
    for (const fn of due) fn();
  }

  powerOff(h: SimHost): void {
    if (!h.power) return;
    h.power = false;
    h.boot++;
    h.hv.clear();
    h.wd.armed = false;
    this.killAgent(h);
    this.inv.hostFault(h.name, Number.POSITIVE_INFINITY);
  }

  powerOn(h: SimHost): void {
    if (h.power) return;
    h.power = true;
    h.wd.lastPet = this.now;
    this.inv.hostFault(h.name, this.now);
    if (this.booted) this.startAgent(h);
  }

  /** The watchdog saw a pet (arm counts: opening softdog pets it). */
  pet(h: SimHost, arm: boolean): void {
    if (!h.wd.device) return;
    this.inv.onPet(h, arm);
    h.wd.armed = true;
    h.wd.lastPet = this.now;
    const boot = h.boot;
    const at = this.now;
    this.engine.after(h.wd.timeoutMs, () => {
      if (h.boot !== boot || h.wd.lastPet !== at || !h.wd.armed || h.wd.broken || !h.power) return;
      this.say("sim", "watchdog", `${h.name} not petted for ${fmtTime(this.now - at)}: host reset`);
      this.powerOff(h);
      this.powerOn(h);
    });
  }

  /** Writes a new spec document; the agents judge it (a bad one is rejected by them, not here). */
  setSpec(doc: unknown): void {
    const r = tryParseSpec(doc);
    if (r.ok) {
      this.spec = r.spec;
      for (const name of Object.keys(r.spec.hosts).sort()) if (!this.hosts.has(name)) this.addHost(name);
    }
    this.store.put("spec", doc);
  }

  requestMigrate(resource: string, target: string): void {
    const id = `m${++this.requestSeq}`;
    this.store.put(`requests/migrate/${id}`, { id, resource, target });
  }

  /** Who really runs `resource` (ground truth). */
  runners(resource: string): string[] {
    return [...this.hosts.values()].filter((h) => h.power && h.hv.running.has(resource)).map((h) => h.name);
  }
}

export function fmtTime(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
