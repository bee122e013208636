// The ONE environment port of the KVM HA runtime (DESIGN.md principle 2). Everything the
// runtime does to the world goes through an Env: the coordination store, the local hypervisor
// (resource driver), fencing, the watchdog, the clock and the log. Two implementations:
//   - the real adapter (issue 5): etcd3 + libvirt/OCF agents + fence-agents + softdog;
//   - the deterministic simulator (provider/runtime/sim/): a logical clock and simulated hosts.
// Both run the SAME driver loop (provider/runtime/core/driver.ts) and the SAME pure core
// (decide()), as pve-ha-manager runs the same Manager/LRM code in production and in its Sim.
// An agent is therefore: a real Env + `runAgent(env)`.
//
// Contract, in short:
//   * Every Store method either completes or throws. An unreachable/slow store throws
//     StoreUnavailableError (never hangs longer than about keepaliveIntervalMs); on it the
//     driver treats this host as not primary for the iteration (the primary steps down and
//     decides nothing).
//   * The heartbeat (Heartbeat) renews the lease on its own timer, never blocked by the loop;
//     the loop reads its status. Whether the host must isolate itself follows from that
//     status alone (core/timing.ts), not from whether this iteration's store calls answered.
//   * Resource and fence methods throw RetryableError (try again later) or TerminalError
//     (retrying cannot help); both name the resource or host.
//   * Long operations (fence, start, stop, migrate) may take seconds: the driver does not wait
//     longer than Clock.budgetMs() for them within one iteration; a late result is delivered
//     to the core in a later iteration (and the same operation is not started twice meanwhile).
//
// Clocks: Clock.now() is monotonic (never stepped by NTP); every safety duration is measured on
// it. No decision compares two hosts' clocks: "a report written after a state change" is
// judged by the manager revision the reporting agent had read (HostReport.managerRevision).
//
// Change log (keep compatible; note every change here):
//   v1   (issue 4): initial port.
//   v1.1 (issue 4): HostReport.migrated (optional) -- resources the host live-migrated away, by
//                   assignment epoch; LocalState.migrated (optional). Stores pass reports
//                   through as JSON, so adapters need no change.
//   v2   (issue 10): the heartbeat leaves the loop: Store.keepalive() is gone, Env.lease
//                   (Heartbeat) renews on its own timer and joins only when the loop asks;
//                   HostReport gains listed, managerRevision, busy and watchdogMs; Watchdog
//                   gains info(); Env.state persists the last valid spec; Clock.now() is
//                   monotonic; the loop's idle sleep ends at the core's next deadline.
//   v2.1 (issue 10): Store.commitManager takes an optional CommitGuard (hosts whose lease key
//                   must be absent); StoreView.leaseIds (optional) gives the lease each
//                   leases/<host> key is bound to; LeaseStatus.rejoinOf: a lease taken after a
//                   loss (the heartbeat now takes it by itself at once). Stores without
//                   leaseIds never let such a lease count (the host keeps counting from the
//                   lost one).

import type { HostReport, ManagerState, MonitorResult, StoreView } from "./core/model";
import type { FenceDevice, ResourceSpec } from "./core/spec";

export {
  NotPrimaryError,
  RetryableError,
  SpecError,
  StoreUnavailableError,
  TerminalError,
} from "./core/errors";
export type { HostReport, ManagerState, MigrateRequest, MonitorResult, StoreView } from "./core/model";
export type { FenceDevice, ResourceSpec } from "./core/spec";

/**
 * The coordination store (etcd in production), seen from ONE host. Keys under /vmha/<cluster>/:
 *   spec                 the ClusterSpec JSON (written by Pulumi, issue 6)
 *   leases/<host>        a key bound to the host's lease: present = the host's heartbeat is alive
 *   election             the primary's key (etcd election, bound to its lease)
 *   manager              ManagerState JSON, written only by the primary with CAS (commitManager)
 *   reports/<host>       HostReport JSON, written only by that host (bound to its lease)
 *   maintenance/<host>   present = operator maintenance requested for that host
 *   requests/migrate/<id> MigrateRequest JSON (operator asks to move a resource)
 * Atomicity: each method below is ONE etcd operation (a single request or a single Txn); none
 * combine several round trips that another host could interleave with, except where noted.
 */
export interface Store {
  /**
   * Campaigns (non-blocking) for the election when `eligible`, or resigns when not; returns
   * whether this host holds the election now. Exactly one host holds it at a time (the key is a
   * lease-bound create-if-absent Txn). Throws StoreUnavailableError.
   */
  campaign(eligible: boolean): Promise<boolean>;
  /**
   * One linearizable read of all keys above at one revision (a single range Get over the
   * prefix), returned as a StoreView. Throws StoreUnavailableError.
   */
  read(): Promise<StoreView>;
  /**
   * The fencing token: one Txn that writes `state` to manager only if manager's mod revision is
   * still `expectedRevision` (0 = key absent) AND this host's election key still exists with its
   * create revision, AND (guard.absentLeases) none of those hosts' leases/<host> keys exists: a
   * host about to be fenced that came back with a new lease first is not fenced by this commit.
   * Returns the new mod revision. Throws NotPrimaryError when a compare fails (someone else is
   * or was primary since, or a guarded host is back), StoreUnavailableError when unreachable.
   */
  commitManager(expectedRevision: number, state: ManagerState, guard?: CommitGuard): Promise<number>;
  /** Puts reports/<host> (bound to the lease). Atomic. Throws StoreUnavailableError. */
  report(report: HostReport): Promise<void>;
}

export interface CommitGuard {
  /** Hosts whose leases/<host> key must be absent (the commit moves them into fencing). */
  absentLeases: string[];
}

/**
 * The local hypervisor / resource agents of THIS host (libvirt domains, OCF agents, IPs).
 * Operations are idempotent: starting a running resource or stopping a stopped one succeeds.
 */
export interface ResourceDriver {
  /**
   * Managed resources (names from the spec) that this host runs now. Throws when it cannot
   * tell (libvirt down): the caller then treats what runs here as unknown, never as nothing.
   */
  list(spec: Readonly<Record<string, ResourceSpec>>): Promise<string[]>;
  /** Resources whose state here is not known yet (a first probe pending); maybe running. */
  unknown?(): string[];
  start(name: string, spec: ResourceSpec): Promise<void>;
  /** `stop`: graceful with the agent's timeout then forced; `kill`: immediate power-off. */
  stop(name: string, spec: ResourceSpec, mode: "stop" | "kill"): Promise<void>;
  monitor(name: string, spec: ResourceSpec): Promise<MonitorResult>;
  /** Live-migrates to `target` (the resource runs on exactly one side when this resolves). */
  migrate(name: string, spec: ResourceSpec, target: string): Promise<void>;
}

export interface Fencer {
  /**
   * Powers `host` off through its device and confirms it is off (action off, then status).
   * Resolves true only when the device confirmed off; false when it reports the host still on.
   * Throws RetryableError on device errors/timeouts (each attempt bounded by fenceTimeoutMs).
   */
  fence(host: string, device: FenceDevice, timeoutMs: number): Promise<boolean>;
  /**
   * Asks the device whether `host` is off (action status only, nothing is powered). "unknown"
   * when the device cannot tell. Throws RetryableError on device errors/timeouts. Optional: a
   * fencer without it makes a suspect host wait for the whole rejoin grace.
   */
  status?(host: string, device: FenceDevice, timeoutMs: number): Promise<"on" | "off" | "unknown">;
}

/**
 * This host's lease as its heartbeat knows it. Times are Clock.now() values. The heartbeat
 * renews on its own timer. When the store says the lease is gone it takes a new one at once
 * (etcd can revoke a live lease, etcd-io/etcd#15247) and says so in rejoinOf: the core counts
 * from the lost lease's last ack until its view holds the new key. The loop's join() is the
 * retry when that failed.
 */
export interface LeaseStatus {
  /** Lease id; "" when none is held. */
  id: string;
  /** +1 with every lease granted by this agent (a re-grant is a new generation). */
  generation: number;
  /** Send time of the last renewal (or grant, or resume) the store acknowledged; -Infinity if none. */
  lastAckSentAt: number;
  /** The TTL the store enforces for this lease (etcd may raise a short one), ms. */
  ttlMs: number;
  /** Set when the store answered that the lease no longer exists. */
  lostAt?: number;
  /** The TTL asked for when this lease was granted by join(); undefined for a resumed lease. */
  askedTtlMs?: number;
  /**
   * Set when this lease was granted after the store said the previous one is gone (a join while
   * lostAt was set): the last ack of that lost lease (the oldest of a chain of such losses). The
   * core counts from it until its view holds the new key (core/isolation.ts withRejoin).
   */
  rejoinOf?: { lastAckSentAt: number };
}

/**
 * rejoinOf of a lease granted to replace `lostAck` (the last ack of a lease the store said is
 * gone, if it was) and/or a lease still carrying `carried` (taken after an earlier loss, never
 * counted): the oldest of them, or undefined when neither applies. Every Heartbeat uses it.
 */
export function nextRejoinOf(
  lostAck: number | undefined,
  carried: LeaseStatus["rejoinOf"],
): LeaseStatus["rejoinOf"] {
  const from = Math.min(
    lostAck ?? Number.POSITIVE_INFINITY,
    carried?.lastAckSentAt ?? Number.POSITIVE_INFINITY,
  );
  return Number.isFinite(from) ? { lastAckSentAt: from } : undefined;
}

export interface Heartbeat {
  status(): LeaseStatus;
  /**
   * Grants a new lease of ttlMs (whole seconds) and puts leases/<host> bound to it; a grant whose
   * put failed does not count. With ifGeneration: does nothing unless the held lease is still
   * that generation (the heartbeat may have taken a new one by itself). Throws
   * StoreUnavailableError.
   */
  join(ttlMs: number, ifGeneration?: number): Promise<void>;
  /** Puts leases/<host> again on the current lease (it was deleted while the lease lives). */
  putPresence(): Promise<void>;
  /** The core counts lease `id` (its view held the key): status() stops reporting rejoinOf. */
  counted?(id: string): void;
}

/** The host's watchdog (softdog or hardware), armed when the agent starts. */
export interface Watchdog {
  arm(timeoutMs: number): Promise<void>;
  pet(): Promise<void>;
  /** Leaving the cluster only (magic close); a restarting agent leaves it armed for the next. */
  disarm(): Promise<void>;
  /** The real timeout of an armed device, or undefined when there is none (reported to the primary). */
  info(): { timeoutMs: number } | undefined;
}

/** What an agent keeps on its host's disk across restarts. */
export interface LocalDisk {
  /** The last spec document this host accepted, if any. */
  loadSpec(): unknown;
  saveSpec(doc: unknown): void;
}

export interface Clock {
  /** Monotonic milliseconds (real: never stepped) or logical time (simulator). */
  now(): number;
  /** Resolves after `ms` (real) or when the logical clock has advanced by `ms`. */
  sleep(ms: number): Promise<void>;
  /** Longest the driver waits for a long operation within one iteration before moving on. */
  budgetMs(): number;
}

export interface LogRecord {
  level: "debug" | "info" | "warn" | "error";
  /** Host the agent runs on. */
  host: string;
  /** What the line is about: "host h2", "resource web", "primary", "sentence". */
  subject: string;
  message: string;
}

export interface Logger {
  log(record: LogRecord): void;
}

export interface Env {
  /** Name of the host this agent runs on (a key of spec.hosts). */
  readonly host: string;
  readonly store: Store;
  readonly lease: Heartbeat;
  readonly disk: LocalDisk;
  readonly driver: ResourceDriver;
  readonly fencer: Fencer;
  readonly watchdog: Watchdog;
  readonly clock: Clock;
  readonly log: Logger;
}
