// The data the pure core works on: what the store holds (ManagerState, HostReport, requests),
// what one agent knows in memory (LocalState), the snapshot handed to decide(), its events and
// its actions. Everything here is plain JSON: it is what the etcd adapter (issue 5) stores and
// what the simulator replays.
import type { ClusterSpec, FenceDevice } from "./spec";
import type { HostState, ResourceState } from "./states";

/** The primary's durable state, stored under /vmha/<cluster>/manager; written only by CAS. */
export interface ManagerState {
  version: 1;
  /** Store revision of the spec these records were reconciled against. */
  specRevision: number;
  hosts: Record<string, HostRecord>;
  resources: Record<string, ResourceRecord>;
  /** Last assignment sequence number handed out (see ResourceRecord.epoch). */
  seq: number;
  /** Ids of operator migrate requests already carried out. */
  handledRequests: string[];
}

export interface HostRecord {
  state: HostState;
  since: number;
  reason?: string;
  /**
   * Manager revision this record's state changed from (the commit that changed it is the next
   * one): a report is "written after the change" iff its managerRevision is greater.
   */
  rev?: number;
  /** When the primary first saw this host's lease gone (informational: deadlines use the
   * deciding primary's own observation, LocalState.observedExpiry). */
  expiredAt?: number;
  fence?: FenceProgress;
  /**
   * The watchdog timeout the host last reported while online; the self-fence deadline applies
   * only to a host that had an armed watchdog no longer than timing.watchdogTimeoutMs.
   */
  watchdogMs?: number;
}

export interface FenceProgress {
  attempts: number;
  lastAttemptAt?: number;
  lastError?: string;
  /** Set once the device confirmed the host off. */
  confirmedAt?: number;
}

export interface ResourceRecord {
  state: ResourceState;
  since: number;
  reason?: string;
  /** Manager revision its state changed from (see HostRecord.rev). */
  rev?: number;
  /** Host it is assigned to (runs or will run on). Undefined = free to place. */
  node?: string;
  /** Migration/relocation target. */
  target?: string;
  /** Assignment sequence number: bumps whenever node/target/state assignment changes. */
  epoch: number;
  relocations: number;
  /** Hosts it failed on in this relocation cycle; placement avoids them while others can take it. */
  failedOn?: string[];
  /** Target of its last failed move: the next drain prefers another host. */
  failedTarget?: string;
  /** Host it ran on before a drain or failover, for failback. */
  home?: string;
  /** Admitted by admission control (protected). */
  admitted: boolean;
  /** Fingerprint of its spec; a change clears `error`. */
  specKey: string;
}

/** What one host's agent reports about itself, under /vmha/<cluster>/reports/<host>. */
export interface HostReport {
  host: string;
  /** The reporting host's clock (informational only: never compared with another host's). */
  at: number;
  /**
   * Mod revision of the manager state the agent had read before it listed its hypervisor: the
   * report reflects every committed change up to it.
   */
  managerRevision: number;
  /**
   * The list of this host's hypervisor succeeded. When false, `running` is the last known list
   * and proves nothing about what is NOT running.
   */
  listed: boolean;
  /** Managed resources its hypervisor runs (when listed). */
  running: string[];
  /**
   * Resources that may be running here although not listed: an operation in flight (start,
   * stop, migrate) or a state not known yet.
   */
  busy: string[];
  /** Timeout of the host's armed watchdog, when it has one. */
  watchdogMs?: number;
  /** Failures the agent gave up on locally, per resource, tagged with the assignment epoch. */
  failed: Record<string, FailureReport>;
  /** Resources it live-migrated away, with the assignment epoch of that migration (v1.1). */
  migrated?: Record<string, number>;
}

export interface FailureReport {
  epoch: number;
  op: "start" | "monitor" | "migrate" | "stop";
  reason: string;
}

export interface MigrateRequest {
  id: string;
  resource: string;
  target: string;
}

/** One consistent read of the store (all keys at one revision). */
export interface StoreView {
  revision: number;
  /** The raw spec document (parsed by the driver) and the revision it was last modified at. */
  spec: unknown;
  specRevision: number;
  manager: ManagerState | undefined;
  /** Mod revision of the manager key (0 = absent): the compare of the CAS commit. */
  managerRevision: number;
  /** Hosts whose lease is alive right now. */
  leases: string[];
  /**
   * The lease each leases/<host> key is bound to. A host that took a new lease after etcd
   * revoked its old one counts the new one only once its view holds its key bound to it
   * (timing.ts, restart): absent here, it never does.
   */
  leaseIds?: Record<string, string>;
  /** Holder of the election, if any. */
  primary: string | undefined;
  reports: Record<string, HostReport>;
  /** Hosts an operator put into maintenance. */
  maintenance: string[];
  migrateRequests: MigrateRequest[];
}

/** What one agent keeps in memory between iterations (lost on restart, by design). */
export interface LocalState {
  host: string;
  /** The isolation response was started since the lease was (possibly) lost. */
  isolated: boolean;
  /**
   * A lease taken after a loss (LeaseView.previousAckMs) whose key this agent's view has held:
   * it counts from then on (isolation.ts withRejoin).
   */
  leaseCounted?: string;
  /**
   * As primary: when THIS agent first saw each fencing host's lease gone (its own monotonic
   * clock). The self-fence deadline runs from here, never from a time another primary wrote.
   */
  observedExpiry?: Record<string, number>;
  /** It acted as primary in its last iteration. */
  primary: boolean;
  /** Managed resources this host's hypervisor runs (last known). */
  running: string[];
  startedAt: Record<string, number>;
  restarts: Record<string, number[]>;
  lastMonitorAt: Record<string, number>;
  /** Failures given up on locally, reported to the primary until the assignment changes. */
  failed: Record<string, FailureReport>;
  /** Resources this host live-migrated away, by the assignment epoch of that migration. */
  migrated?: Record<string, number>;
  lastSentence?: string;
}

/** This host's lease, as the heartbeat reports it, at the time of the snapshot. */
export interface LeaseView {
  /**
   * held: acknowledged recently enough to act on; unknown: no recent ack (counting down to the
   * isolation response); lost: the store said it is gone, or this agent never had one.
   */
  state: "held" | "unknown" | "lost";
  /** ms since the send time of the last acknowledged renewal (Infinity if none). */
  sinceAckMs: number;
  /** The TTL the store enforces, ms. */
  ttlMs: number;
  /** The TTL asked for at join(); undefined for a lease taken over from a previous run. */
  askedTtlMs?: number;
  generation: number;
  /** The lease id ("" when none): withRejoin compares it with view.leaseIds. */
  id: string;
  /**
   * Set when this lease was taken after the store said the previous one is gone: ms since that
   * lost lease's last ack. withRejoin counts from it until the view holds the new key.
   */
  previousAckMs?: number;
}

export interface Snapshot {
  self: string;
  spec: ClusterSpec;
  /** Last successful read; stale when storeReachable is false. */
  view: StoreView;
  storeReachable: boolean;
  /** This host holds the election (per the read above). */
  isPrimary: boolean;
  lease: LeaseView;
  /** The list below succeeded in this iteration (false: it is the last known list). */
  listed: boolean;
  /** Managed resources the local hypervisor runs, listed at the start of this iteration. */
  running: string[];
  /** Resources the hypervisor could not tell about (maybe running). */
  unknown: string[];
  /**
   * The manager key holds a value that is not a valid manager state (view.manager is then
   * undefined): nobody decides, every host holds what it runs.
   */
  managerInvalid?: boolean;
  /** Operations the driver started that have not reported yet ("fence:h2", "start:web"). */
  inFlight: string[];
  local: LocalState;
}

export interface MonitorResult {
  running: boolean;
  /** The resource agent's health check passed (OCF monitor rc 0). */
  healthy: boolean;
  /** Age of the last guest heartbeat, when guest heartbeats are available. */
  heartbeatAgeMs?: number;
  detail?: string;
}

export type CoreEvent =
  | { type: "tick" }
  | { type: "store-unreachable"; error: string }
  | { type: "fence-result"; host: string; off: boolean; error?: string }
  /** The answer of a suspect host's fence device to `status` (no power action). */
  | { type: "power-status"; host: string; off: boolean; error?: string }
  | { type: "start-result"; resource: string; ok: boolean; retryable?: boolean; error?: string }
  | { type: "stop-result"; resource: string; ok: boolean; retryable?: boolean; error?: string }
  | {
      type: "migrate-result";
      resource: string;
      target: string;
      ok: boolean;
      retryable?: boolean;
      error?: string;
    }
  | { type: "monitor-result"; resource: string; result: MonitorResult }
  | { type: "commit-failed"; error: string };

export type Action =
  | { type: "log"; level: "info" | "warn" | "error"; subject: string; message: string }
  /** absentLeases: hosts whose lease key must not exist for the commit to land (hosts.ts fencingGuard). */
  | { type: "commit"; revision: number; state: ManagerState; absentLeases: string[] }
  | { type: "fence"; host: string; device: FenceDevice }
  /** Ask a suspect host's device whether it is off (`status`): off is proof, no grace needed. */
  | { type: "power-status"; host: string; device: FenceDevice }
  | { type: "start"; resource: string }
  | { type: "stop"; resource: string; mode: "stop" | "kill" }
  | { type: "migrate"; resource: string; target: string }
  | { type: "monitor"; resource: string }
  | { type: "self-fence"; stop: string[]; kill: string[]; keep: string[] }
  /**
   * Pet the watchdog; with maxAckAgeMs, only if the last ack (the lease's, or with previousLease
   * the lost lease's, while the new one does not count yet) is still younger than that then.
   */
  | { type: "watchdog"; op: "pet"; maxAckAgeMs?: number; previousLease?: boolean }
  /**
   * Take a new lease: the old one is gone, and nothing that must stop runs any more or there is
   * time left (isolation.ts rejoinAction). With ifGeneration: only if the heartbeat still holds
   * that generation (it may have taken a new lease by itself meanwhile).
   */
  | { type: "join"; ifGeneration?: number }
  /** Put leases/<self> again: the lease lives but its key is missing. */
  | { type: "presence" };

export interface Decision {
  actions: Action[];
  next: { local: LocalState; manager: ManagerState | undefined };
  /** One sentence saying what this iteration did or waits for (principle 9). */
  sentence: string;
  /** ms from now at which a deadline falls (isolation, self-fence): look again then. */
  wakeInMs?: number;
}

export function emptyLocal(host: string): LocalState {
  return {
    host,
    isolated: false,
    primary: false,
    running: [],
    startedAt: {},
    restarts: {},
    lastMonitorAt: {},
    failed: {},
  };
}
