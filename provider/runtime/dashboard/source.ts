// The dashboard's view of etcd: the same linearizable read() as the agents and `vmha status`, the
// last events as `vmha events` reads them, and one watch over the cluster's keys and event log.
import { lastEvents } from "../cli/last-events";
import type { StatusEvent } from "../cli/status";
import type { EtcdStore } from "../store/etcd-store";
import { clusterPrefix, eventsPrefix } from "../store/keys";
import type { DashboardSource } from "./server";

/** Event lines as the page needs them: agents write more fields, and an odd line must not break the page. */
function normalize(e: Partial<Record<keyof StatusEvent, unknown>>): StatusEvent {
  const s = (v: unknown) => (typeof v === "string" ? v : v === undefined ? "" : String(v));
  return { at: s(e.at), host: s(e.host), level: s(e.level), subject: s(e.subject), message: s(e.message) };
}

export function etcdSource(store: EtcdStore): DashboardSource {
  return {
    read: () => store.read(),
    lastEvents: async (n) => (await lastEvents(store, n)).map(normalize),
    async watch(onChange) {
      const ws = await Promise.all(
        [clusterPrefix(store.opts.cluster), eventsPrefix(store.opts.cluster)].map(async (p) => {
          const w = await store.client.watch().prefix(p).create();
          w.on("put", onChange);
          w.on("delete", onChange);
          return w;
        }),
      );
      return async () => {
        await Promise.all(ws.map((w) => w.cancel()));
      };
    },
  };
}
