// Waiting for the cluster to reach a state, reading what the agents wrote to etcd.
import type { StoreView } from "../../../provider/runtime/env";
import { EtcdStore } from "../../../provider/runtime/store/etcd-store";
import { eventsPrefix } from "../../../provider/runtime/store/keys";
import { etcdEndpoints } from "./config";
import type { LabState } from "./state";

export interface ClusterEvent {
  at: string;
  host: string;
  subject: string;
  message: string;
  level: string;
}

export function labStore(s: LabState): EtcdStore {
  return new EtcdStore({
    host: "lab",
    cluster: s.cluster,
    endpoints: etcdEndpoints(s.etcd),
    leaseTtlS: 1,
    callTimeoutMs: 2000,
  });
}

export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = "";
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${lastErr})` : ""}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Every host online, every resource started where the reports say it runs, exactly once. */
export function settled(v: StoreView, hosts: readonly string[], vms: readonly string[]): boolean {
  const m = v.manager;
  if (!m || !v.primary) return false;
  if (!hosts.every((h) => m.hosts[h]?.state === "online" && v.leases.includes(h))) return false;
  return vms.every((r) => {
    const rec = m.resources[r];
    const on = Object.values(v.reports).filter((rep) => rep.running.includes(r));
    return rec?.state === "started" && on.length === 1 && on[0]!.host === rec.node;
  });
}

export async function events(store: EtcdStore, sinceMs = 0): Promise<ClusterEvent[]> {
  const res = await store.client.getAll().prefix(eventsPrefix(store.opts.cluster)).strings();
  return Object.keys(res)
    .sort()
    .map((k) => JSON.parse(res[k]!) as ClusterEvent)
    .filter((e) => Date.parse(e.at) >= sinceMs);
}

export function firstEvent(
  evs: readonly ClusterEvent[],
  subject: string,
  re: RegExp,
): ClusterEvent | undefined {
  return evs.find((e) => e.subject === subject && re.test(e.message));
}
