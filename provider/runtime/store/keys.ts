// The etcd key layout of one cluster; documented in ../KEYS.md. Every key lives under
// /vmha/<cluster>/. It follows the port (../env.ts) and adds the event log used by `vmha events`.
// Pure string functions, so the CLI, the agent and the Pulumi side agree.

export const ROOT_PREFIX = "/vmha/";

export function clusterPrefix(cluster: string): string {
  if (!/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/.test(cluster)) {
    throw new Error(`cluster name "${cluster}" must be lower-case letters, digits, '.', '_' or '-' (max 63)`);
  }
  return `${ROOT_PREFIX}${cluster}/`;
}

/** Keys relative to the cluster prefix. */
export const K = {
  /** The ClusterSpec JSON (hosts, timing, fence devices, resources): written by Pulumi only. */
  spec: "spec",
  /** Bound to the host's lease: present = the host's heartbeat is alive. Value: presence JSON. */
  lease: (host: string) => `leases/${host}`,
  leasePrefix: "leases/",
  /** The primary: created if absent, bound to the primary's lease; its create revision is the term. */
  election: "election",
  /** ManagerState JSON (assignments with epochs, host states): written only by the primary, CAS. */
  manager: "manager",
  /** HostReport JSON written by that host's agent only, bound to its lease. */
  report: (host: string) => `reports/${host}`,
  reportPrefix: "reports/",
  /** Present = an operator asked for maintenance of that host (`vmha maintenance`). */
  maintenance: (host: string) => `maintenance/${host}`,
  maintenancePrefix: "maintenance/",
  /** MigrateRequest JSON: an operator asks to move a resource (`vmha migrate`). */
  migrateRequest: (id: string) => `requests/migrate/${id}`,
  migrateRequestPrefix: "requests/migrate/",
} as const;

/**
 * The event log (status changes, fencing, failovers), one key per line, sorted by time. Kept
 * outside the cluster prefix so the agents' one-range read() never carries it.
 */
export function eventsPrefix(cluster: string): string {
  clusterPrefix(cluster);
  return `/vmha-events/${cluster}/`;
}

/** Sortable event id: zero-padded epoch milliseconds, host and a per-writer counter. */
export function eventId(nowMs: number, host: string, seq: number): string {
  return `${String(nowMs).padStart(15, "0")}-${host}-${String(seq).padStart(6, "0")}`;
}
