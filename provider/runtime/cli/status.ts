// `vmha status`: the cluster as the store sees it (like crm_mon): hosts with their state and
// lease, the primary, each resource with where it runs, recent failures and events. Pure
// formatting of one StoreView plus the last events, so it is testable without etcd.
import type { StoreView } from "../env";

export interface StatusEvent {
  at: string;
  host: string;
  subject: string;
  message: string;
  level: string;
}

/** One resource as `vmha status` and `vmha dashboard` show it. */
export interface ResourceStatus {
  name: string;
  state: string;
  /** Host the manager assigned it to. */
  node?: string;
  /** Migration/relocation target. */
  target?: string;
  /** Hosts whose agent reports it running (more than one is a split brain and shown loudly). */
  runningOn: string[];
  reason?: string;
}

export interface ClusterStatus {
  cluster: string;
  revision: number;
  primary: string | undefined;
  hosts: Array<{
    host: string;
    state: string;
    lease: boolean;
    running: string[];
    since?: number;
    reason?: string;
  }>;
  resources: ResourceStatus[];
  failures: Array<{ host: string; resource: string; op: string; reason: string }>;
  events: StatusEvent[];
}

interface SpecLike {
  hosts?: Record<string, unknown>;
  resources?: Record<string, unknown>;
}

export function clusterStatus(cluster: string, view: StoreView, events: StatusEvent[]): ClusterStatus {
  const spec = (view.spec ?? {}) as SpecLike;
  const hostNames = [
    ...new Set([...Object.keys(spec.hosts ?? {}), ...view.leases, ...Object.keys(view.manager?.hosts ?? {})]),
  ].sort();
  const runningOn = (r: string) =>
    Object.values(view.reports)
      .filter((rep) => rep.running.includes(r))
      .map((rep) => rep.host)
      .sort();
  const hosts = hostNames.map((h) => {
    const rec = view.manager?.hosts[h];
    return {
      host: h,
      state: rec?.state ?? "unknown",
      lease: view.leases.includes(h),
      running: view.reports[h]?.running ?? [],
      ...(rec?.since !== undefined ? { since: rec.since } : {}),
      ...(rec?.reason ? { reason: rec.reason } : {}),
    };
  });
  const resNames = [
    ...new Set([...Object.keys(spec.resources ?? {}), ...Object.keys(view.manager?.resources ?? {})]),
  ].sort();
  const resources = resNames.map((r) => {
    const rec = view.manager?.resources[r];
    return {
      name: r,
      state: rec?.state ?? "unknown",
      ...(rec?.node ? { node: rec.node } : {}),
      ...(rec?.target ? { target: rec.target } : {}),
      runningOn: runningOn(r),
      ...(rec?.reason ? { reason: rec.reason } : {}),
    };
  });
  const failures = Object.values(view.reports).flatMap((rep) =>
    Object.entries(rep.failed).map(([resource, f]) => ({
      host: rep.host,
      resource,
      op: f.op,
      reason: f.reason,
    })),
  );
  return { cluster, revision: view.revision, primary: view.primary, hosts, resources, failures, events };
}

function time(ms: number | undefined): string {
  return ms === undefined ? "" : new Date(ms).toISOString().slice(11, 23);
}

export function formatStatus(s: ClusterStatus): string {
  const out: string[] = [];
  out.push(`Cluster ${s.cluster} (store revision ${s.revision})`);
  out.push(`Primary: ${s.primary ?? "NONE (no host holds the election)"}`);
  out.push("", `Hosts (${s.hosts.filter((h) => h.lease).length} of ${s.hosts.length} with a live lease):`);
  for (const h of s.hosts) {
    out.push(
      `  ${h.host.padEnd(10)} ${h.state.padEnd(12)} ${h.lease ? "lease ok " : "no lease "} ${
        h.running.length ? `runs ${h.running.join(",")}` : "runs nothing"
      }${h.since !== undefined ? `  since ${time(h.since)}` : ""}${h.reason ? ` (${h.reason})` : ""}`,
    );
  }
  out.push("", `Resources (${s.resources.length}):`);
  for (const r of s.resources) {
    const where =
      r.runningOn.length > 1
        ? `RUNNING ON ${r.runningOn.join(" AND ")}`
        : r.runningOn[0]
          ? `on ${r.runningOn[0]}`
          : "not running";
    out.push(
      `  ${r.name.padEnd(12)} ${r.state.padEnd(11)} ${where}${r.node && !r.runningOn.includes(r.node) ? ` (assigned ${r.node})` : ""}${
        r.target ? ` -> ${r.target}` : ""
      }${r.reason ? `  (${r.reason})` : ""}`,
    );
  }
  if (s.failures.length) {
    out.push("", "Failures:");
    for (const f of s.failures) out.push(`  ${f.resource} on ${f.host}: ${f.op} failed: ${f.reason}`);
  }
  if (s.events.length) {
    out.push("", "Recent events:");
    for (const e of s.events) out.push(`  ${formatEvent(e)}`);
  }
  return `${out.join("\n")}\n`;
}

export function formatEvent(e: StatusEvent): string {
  return `${e.at.slice(0, 23).replace("T", " ")} ${e.host.padEnd(6)} ${e.level.padEnd(5)} ${e.subject}: ${e.message}`;
}
