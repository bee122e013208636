// The dashboard fixture (dashboard-fixture.ts) written into a real etcd the way the agents lay it
// out (spec, manager, leases, reports, election, event log), a dashboard on 127.0.0.1:0 over it,
// and a small Server-Sent Events reader for its /events stream.
import type { StatusEvent } from "../../provider/runtime/cli/status";
import type { DashboardModel } from "../../provider/runtime/dashboard/model";
import {
  type Dashboard,
  type DashboardSource,
  startDashboard,
} from "../../provider/runtime/dashboard/server";
import { etcdSource } from "../../provider/runtime/dashboard/source";
import { EtcdStore } from "../../provider/runtime/store/etcd-store";
import { eventId, eventsPrefix, K } from "../../provider/runtime/store/keys";
import {
  EVENTS_AFTER,
  MANAGER_AFTER,
  MANAGER_BEFORE,
  REPORTS_AFTER,
  REPORTS_BEFORE,
  SPEC,
} from "./dashboard-fixture";
import { startEtcd } from "./etcd";

export const CLUSTER = SPEC.name;

export function dashStore(endpoint: string): EtcdStore {
  return new EtcdStore({ host: "dash-test", cluster: CLUSTER, endpoints: [endpoint], callTimeoutMs: 3000 });
}

/** Everything healthy: h1 primary, web on h2. */
export async function writeBefore(s: EtcdStore): Promise<void> {
  await s.ns.put(K.spec).value(JSON.stringify(SPEC));
  await s.ns.put(K.election).value(JSON.stringify({ host: "h1" }));
  for (const h of ["h1", "h2", "h3"]) await s.ns.put(K.lease(h)).value(JSON.stringify({ host: h }));
  for (const [h, r] of Object.entries(REPORTS_BEFORE)) await s.ns.put(K.report(h)).value(JSON.stringify(r));
  await s.ns.put(K.manager).value(JSON.stringify(MANAGER_BEFORE));
}

/** h2 lost its lease, was fenced, and web runs on h3 (the events say so, in order). */
export async function writeAfter(s: EtcdStore): Promise<void> {
  await s.ns.delete().key(K.lease("h2"));
  await s.ns.delete().key(K.report("h2"));
  for (const [h, r] of Object.entries(REPORTS_AFTER)) await s.ns.put(K.report(h)).value(JSON.stringify(r));
  for (const [i, e] of EVENTS_AFTER.entries()) await appendEvent(s, e, i);
  await s.ns.put(K.manager).value(JSON.stringify(MANAGER_AFTER));
}

async function appendEvent(s: EtcdStore, e: StatusEvent, seq: number): Promise<void> {
  const key = eventsPrefix(CLUSTER) + eventId(Date.parse(e.at), e.host, seq);
  await s.client.put(key).value(JSON.stringify(e));
}

/** Counts the dashboard's reads of the store (one reader, however many browsers). */
export function countingSource(s: EtcdStore): DashboardSource & { reads: number } {
  const src = etcdSource(s);
  const counted = {
    reads: 0,
    read: () => {
      counted.reads++;
      return src.read();
    },
    lastEvents: (n: number) => src.lastEvents(n),
    ...(src.watch ? { watch: src.watch.bind(src) } : {}),
  };
  return counted;
}

export async function dashboardOn(source: DashboardSource): Promise<Dashboard> {
  return startDashboard({ source, cluster: CLUSTER, host: "127.0.0.1", port: 0 });
}

/** A real etcd with the fixture written ("after" also writes the failover), and a dashboard on it. */
export async function dashboardOnEtcd(
  state: "before" | "after",
): Promise<{ store: EtcdStore; dash: Dashboard; stop(): Promise<void> }> {
  const etcd = await startEtcd();
  const store = dashStore(etcd.endpoint);
  try {
    await writeBefore(store);
    if (state === "after") await writeAfter(store);
    const dash = await dashboardOn(countingSource(store));
    return {
      store,
      dash,
      stop: async () => {
        await dash.close();
        store.client.close();
        await etcd.stop();
      },
    };
  } catch (err) {
    store.client.close();
    await etcd.stop();
    throw err;
  }
}

/** Reads `event: model` messages from a dashboard's /events. */
export class SseReader {
  readonly models: DashboardModel[] = [];
  readonly raw: string[] = [];
  private readonly ac = new AbortController();
  private waiters: Array<() => void> = [];
  private done: Promise<void>;

  constructor(url: string) {
    this.done = this.run(url).catch(() => {});
  }

  private async run(url: string): Promise<void> {
    const res = await fetch(new URL("/events", url), { signal: this.ac.signal });
    if (!res.ok || !res.body) throw new Error(`/events: HTTP ${res.status}`);
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body) {
      buf += dec.decode(chunk as Uint8Array, { stream: true });
      for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        this.raw.push(msg);
        const lines = msg.split("\n");
        if (!lines.includes("event: model")) continue;
        const data = lines
          .filter((l) => l.startsWith("data: "))
          .map((l) => l.slice(6))
          .join("\n");
        this.models.push(JSON.parse(data) as DashboardModel);
        for (const w of this.waiters.splice(0)) w();
      }
    }
  }

  /** The first model (seen already or arriving within timeoutMs) for which pred holds. */
  async next(pred: (m: DashboardModel) => boolean, timeoutMs: number, what: string): Promise<DashboardModel> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.models.find(pred);
      if (m) return m;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no SSE model ${what} within ${timeoutMs} ms (got ${this.models.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.ac.abort();
    await this.done;
  }
}
