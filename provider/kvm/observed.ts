// What the runtime reports about a resource: where it runs, its state, its last failure. This is
// status, not configuration: it is shown as outputs and never counts as drift.
import type { Etcd3 } from "etcd3";
import { RetryableError } from "../core/errors";
import type { HostReport, ManagerState } from "../runtime/core/model";
import { clusterPrefix, K } from "../runtime/store/keys";

export interface ObservedResource {
  /** The runtime's state for it (started, recovering, error, …) or "unknown" before the primary saw it. */
  status: string;
  /** Host it is assigned to, if any. */
  host?: string;
  /** Hosts whose hypervisor reports it running (more than one would be a split brain). */
  runningOn: string[];
  /** Why it is in its state (the runtime's sentence), if any. */
  reason?: string;
}

export async function readObserved(
  etcd: Etcd3,
  cluster: string,
  resource: string,
): Promise<ObservedResource> {
  const prefix = clusterPrefix(cluster);
  let manager: ManagerState | undefined;
  let reports: HostReport[];
  try {
    const m = await etcd.get(prefix + K.manager).string();
    manager = m ? (JSON.parse(m) as ManagerState) : undefined;
    const rs = await etcd
      .getAll()
      .prefix(prefix + K.reportPrefix)
      .strings();
    reports = Object.values(rs).map((v) => JSON.parse(v) as HostReport);
  } catch (err) {
    throw new RetryableError(
      `cluster ${cluster}: reading observed state: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  const rec = manager?.resources[resource];
  return {
    status: rec?.state ?? "unknown",
    ...(rec?.node ? { host: rec.node } : {}),
    runningOn: reports
      .filter((r) => r.running.includes(resource))
      .map((r) => r.host)
      .sort(),
    ...(rec?.reason ? { reason: rec.reason } : {}),
  };
}

/** Hosts whose agent holds its lease right now. */
export async function liveHosts(etcd: Etcd3, cluster: string): Promise<string[]> {
  const prefix = clusterPrefix(cluster) + K.leasePrefix;
  try {
    const keys = await etcd.getAll().prefix(prefix).keys();
    return keys.map((k) => k.slice(prefix.length)).sort();
  } catch (err) {
    throw new RetryableError(
      `cluster ${cluster}: reading leases: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
}
