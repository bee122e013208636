// The simulated world: a logical clock, one store (etcd semantics: leases, election, CAS on
// revision, a whole-store outage during which leases do not expire), and hosts with power,
// network, a hypervisor that really runs resources, a watchdog and a fence device. Agents
// run the real driver loop (core/driver.ts) on a SimEnv (sim/env.ts). Ground truth (what the
// hypervisors run) is what the invariant checker (sim/invariants.ts) judges.
import { type AgentRuntime, newAgentRuntime, runIteration } from "../core/driver";
import type { HostReport, ManagerState, MigrateRequest } from "../core/model";
import { type ClusterSpec, parseSpec, tryParseSpec } from "../core/spec";
import type { Env, LogRecord } from "../env";
import { createSimEnv } from "./env";
import { SimHeartbeat } from "./heartbeat";
import { Invariants } from "./invariants";

export interface SimHost {
  name: string;
  power: boolean;
  /** Cut from the store (store partition or network off). */
  storeCut: boolean;
  networkOff: boolean;
  agentHung: boolean;
  running: Set<string>;
  /** Resource -> time its guest heartbeat stopped. */
  hung: Map<string, number>;
  unhealthy: Set<string>;
  /** Resources whose start fails here ("*" = all). */
  startFails: Set<string>;
  /** Fence attempts that will still fail (Infinity = always). */
  fenceFailures: number;
  lastPet: number;
  runtime: AgentRuntime;
  heartbeat: SimHeartbeat;
  /** What the agent keeps on the host's disk (survives restarts and power cycles). */
  disk: { spec?: unknown };
  env: Env;
}

export interface SimStore {
  down: boolean;
  revision: number;
  manager: ManagerState | undefined;
  managerRevision: number;
  /** host -> time of its last renewal. */
  renewedAt: Map<string, number>;
  /** host -> id of its current lease (a new lease after expiry gets a new id). */
  leaseGen: Map<string, number>;
  /** Leases alive when the store went down (frozen during the outage). */
  frozen: Set<string> | undefined;
  election: string | undefined;
  reports: Map<string, HostReport>;
  maintenance: Set<string>;
  migrate: MigrateRequest[];
}

export class SimWorld {
  now = 0;
  readonly lines: string[] = [];
  readonly hosts = new Map<string, SimHost>();
  readonly store: SimStore = {
    down: false,
    revision: 1,
    manager: undefined,
    managerRevision: 0,
    renewedAt: new Map(),
    leaseGen: new Map(),
    frozen: undefined,
    election: undefined,
    reports: new Map(),
    maintenance: new Set(),
    migrate: [],
  };
  specDoc: unknown;
  specRevision = 1;
  spec: ClusterSpec;
  readonly inv: Invariants;
  private requestSeq = 0;
  /** Log sentences (every change per host) or not (fuzzing). */
  verbose = true;

  constructor(specDoc: unknown) {
    this.specDoc = specDoc;
    this.spec = parseSpec(specDoc);
    this.inv = new Invariants(this);
    for (const name of Object.keys(this.spec.hosts).sort()) {
      this.addHost(name);
      // every agent joins when it starts
      this.host(name).heartbeat.adopt(this.newLease(name));
    }
  }

  /** A new (powered-on) machine; its agent starts at its next round. */
  private addHost(name: string): void {
    {
      const h: SimHost = {
        name,
        power: true,
        storeCut: false,
        networkOff: false,
        agentHung: false,
        running: new Set(),
        hung: new Map(),
        unhealthy: new Set(),
        startFails: new Set(),
        fenceFailures: 0,
        lastPet: 0,
        runtime: newAgentRuntime(name),
        heartbeat: undefined as unknown as SimHeartbeat,
        disk: {},
        env: undefined as unknown as Env,
      };
      h.heartbeat = new SimHeartbeat(this, h);
      h.env = createSimEnv(this, h);
      this.hosts.set(name, h);
      h.lastPet = this.now;
    }
  }

  get timing() {
    return this.spec.timing;
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
    if (r.subject === "sentence" && !this.verbose) return;
    this.say(r.host, r.subject, r.message);
  }

  /** Grants `host` a new lease (keys bound to the old one, its report, are gone). */
  newLease(host: string): number {
    this.store.revision++;
    this.store.leaseGen.set(host, this.store.revision);
    this.store.renewedAt.set(host, this.now);
    this.store.reports.delete(host);
    return this.store.revision;
  }

  leaseAlive(host: string): boolean {
    if (this.store.frozen) return this.store.frozen.has(host);
    const at = this.store.renewedAt.get(host);
    return at !== undefined && this.now < at + this.timing.leaseTtlMs;
  }

  reachable(h: SimHost): boolean {
    return h.power && !this.store.down && !h.storeCut;
  }

  primary(): string | undefined {
    const e = this.store.election;
    return e && this.leaseAlive(e) ? e : undefined;
  }

  /** One agent round at the current time: watchdogs, every live agent once, then the checks. */
  async round(skip: ReadonlySet<string> = new Set()): Promise<void> {
    this.watchdogs();
    for (const h of this.hosts.values()) {
      if (!h.power || h.agentHung || skip.has(h.name)) continue;
      h.heartbeat.renew();
      await runIteration(h.env, h.runtime);
    }
    this.inv.afterRound();
  }

  /** Advances the clock by `ms`, running a round at every keepalive interval. */
  async advance(ms: number, skipFirst: ReadonlySet<string> = new Set()): Promise<void> {
    const k = this.timing.keepaliveIntervalMs;
    const end = this.now + ms;
    let first = true;
    while (this.now + k <= end) {
      this.now += k;
      await this.round(first ? skipFirst : new Set());
      first = false;
    }
    this.now = end;
  }

  private watchdogs(): void {
    for (const h of this.hosts.values()) {
      if (h.power && this.now - h.lastPet >= this.timing.watchdogTimeoutMs) {
        this.say("sim", "watchdog", `${h.name} not petted for ${fmtTime(this.now - h.lastPet)}: host reset`);
        this.powerOff(h);
        this.powerOn(h);
      }
    }
  }

  powerOff(h: SimHost): void {
    h.power = false;
    h.running.clear();
    h.hung.clear();
    h.agentHung = false;
    this.restartAgent(h);
  }

  powerOn(h: SimHost): void {
    if (h.power) return;
    h.power = true;
    h.lastPet = this.now;
    this.restartAgent(h);
  }

  /** A new agent process on h: memory (and the lease id it held) gone; VMs and disk kept. */
  restartAgent(h: SimHost): void {
    h.runtime = newAgentRuntime(h.name);
    h.heartbeat = new SimHeartbeat(this, h);
    h.env = createSimEnv(this, h);
  }

  setStoreDown(down: boolean): void {
    if (down && !this.store.down) {
      this.store.frozen = new Set([...this.hosts.keys()].filter((h) => this.leaseAlive(h)));
    }
    if (!down && this.store.down) {
      // etcd: a new leader extends every lease it knows of
      for (const h of this.store.frozen ?? []) this.store.renewedAt.set(h, this.now);
      this.store.frozen = undefined;
    }
    this.store.down = down;
  }

  /** Writes a new spec document; the agents judge it (a bad one is rejected by them, not here). */
  setSpec(doc: unknown): void {
    const r = tryParseSpec(doc);
    if (r.ok) {
      this.spec = r.spec;
      for (const name of Object.keys(r.spec.hosts).sort()) if (!this.hosts.has(name)) this.addHost(name);
    }
    this.specDoc = doc;
    this.store.revision++;
    this.specRevision = this.store.revision;
  }

  requestMigrate(resource: string, target: string): void {
    this.store.migrate.push({ id: `m${++this.requestSeq}`, resource, target });
    this.store.revision++;
  }

  /** Who really runs `resource` (ground truth). */
  runners(resource: string): string[] {
    return [...this.hosts.values()].filter((h) => h.power && h.running.has(resource)).map((h) => h.name);
  }
}

export function fmtTime(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}
