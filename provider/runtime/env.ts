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
//     decides nothing) and the core counts down to the isolation response.
//   * Resource and fence methods throw RetryableError (try again later) or TerminalError
//     (retrying cannot help); both name the resource or host.
//   * Long operations (fence, start, stop, migrate) may take seconds: the driver does not wait
//     longer than Clock.budgetMs() for them within one iteration; a late result is delivered
//     to the core in a later iteration (and the same operation is not started twice meanwhile).
//
// Clocks: HostReport.at is the reporting host's Clock.now(). The primary compares it with its
// own times (a fenced host counts as back only with a report written after it was fenced), so
// host clocks must agree within timing.maxClockSkewMs (run NTP/chrony).
//
// Change log (keep compatible; note every change here):
//   v1   (issue 4): initial port.
//   v1.1 (issue 4): HostReport.migrated (optional) -- resources the host live-migrated away, by
//                   assignment epoch; LocalState.migrated (optional). Stores pass reports
//                   through as JSON, so adapters need no change.

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
   * Renews this host's lease (grants a new one if it expired, and re-puts leases/<host>).
   * Atomic per call. Throws StoreUnavailableError if the store cannot be reached.
   */
  keepalive(): Promise<void>;
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
   * create revision. Returns the new mod revision. Throws NotPrimaryError when the compare fails
   * (someone else is or was primary since), StoreUnavailableError when unreachable.
   */
  commitManager(expectedRevision: number, state: ManagerState): Promise<number>;
  /** Puts reports/<host> (bound to the lease). Atomic. Throws StoreUnavailableError. */
  report(report: HostReport): Promise<void>;
}

/**
 * The local hypervisor / resource agents of THIS host (libvirt domains, OCF agents, IPs).
 * Operations are idempotent: starting a running resource or stopping a stopped one succeeds.
 */
export interface ResourceDriver {
  /** Managed resources (names from the spec) that this host runs now. */
  list(spec: Readonly<Record<string, ResourceSpec>>): Promise<string[]>;
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
}

/** The host's watchdog (softdog or hardware). Armed once at start with watchdogTimeoutMs. */
export interface Watchdog {
  arm(timeoutMs: number): Promise<void>;
  pet(): Promise<void>;
  /** Clean shutdown only (magic close). */
  disarm(): Promise<void>;
}

export interface Clock {
  /** Milliseconds since the epoch (real) or since the start of the simulation (logical). */
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
  readonly driver: ResourceDriver;
  readonly fencer: Fencer;
  readonly watchdog: Watchdog;
  readonly clock: Clock;
  readonly log: Logger;
}
