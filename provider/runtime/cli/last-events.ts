// The last N lines of a cluster's event log, oldest first: what `vmha status`, `vmha events` and
// `vmha dashboard` show. One range read, newest keys first (ids sort by time), limited on the server.
import type { EtcdStore } from "../store/etcd-store";
import { eventsPrefix } from "../store/keys";
import type { StatusEvent } from "./status";

export async function lastEvents(s: EtcdStore, n: number): Promise<StatusEvent[]> {
  const res = await s.client
    .getAll()
    .prefix(eventsPrefix(s.opts.cluster))
    .sort("Key", "Descend")
    .limit(n)
    .strings();
  return Object.keys(res)
    .sort()
    .map((k) => JSON.parse(res[k]!) as StatusEvent);
}
