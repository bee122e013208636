// What the runtime reports about a resource: where it runs, its state, its last failure. This is
// status, not configuration: it is shown as outputs and never counts as drift.
import type { HostReport, ManagerState } from "../runtime/core/model";
import { clusterPrefix, K } from "../runtime/store/keys";
import { etcdFor } from "./connection";
import { etcdCall, type SpecTarget } from "./spec-store";

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

export async function readObserved(t: SpecTarget, resource: string): Promise<ObservedResource> {
  const etcd = etcdFor(t.etcd, t.subject);
  const prefix = clusterPrefix(t.cluster);
  const [m, rs] = await etcdCall(t, () =>
    Promise.all([
      etcd.get(prefix + K.manager).string(),
      etcd
        .getAll()
        .prefix(prefix + K.reportPrefix)
        .strings(),
    ]),
  );
  // The agents write these; a half-written or foreign value must not fail a Pulumi operation.
  const parse = <T>(v: string | null): T | undefined => {
    try {
      return v ? (JSON.parse(v) as T) : undefined;
    } catch {
      return undefined;
    }
  };
  const manager = parse<ManagerState>(m);
  const reports = Object.values(rs)
    .map((v) => parse<HostReport>(v))
    .filter((r): r is HostReport => r !== undefined);
  const rec = manager?.resources?.[resource];
  return {
    status: rec?.state ?? "unknown",
    ...(rec?.node ? { host: rec.node } : {}),
    runningOn: reports
      .filter((r) => r.running?.includes(resource))
      .map((r) => r.host)
      .sort(),
    ...(rec?.reason ? { reason: rec.reason } : {}),
  };
}

/** Hosts whose agent holds its lease right now. */
export async function liveHosts(t: SpecTarget): Promise<string[]> {
  const etcd = etcdFor(t.etcd, t.subject);
  const prefix = clusterPrefix(t.cluster) + K.leasePrefix;
  const keys = await etcdCall(t, () => etcd.getAll().prefix(prefix).keys());
  return keys.map((k) => k.slice(prefix.length)).sort();
}
