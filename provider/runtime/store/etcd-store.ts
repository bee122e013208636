// The Store of the port (../env.ts) on etcd, seen from one host. Guarantees:
// - read() is ONE range request over the cluster prefix: every key at one revision.
// - campaign() is a create-if-absent Txn on `election`, bound to this host's lease; the
//   election key's create revision is the primary's term.
// - commitManager() is ONE Txn comparing the manager's mod revision AND the election key's
//   create revision (the fencing token): a stale primary's write fails with NotPrimaryError.
// - Every call has a deadline (callTimeoutMs); a call that fails or times out raises
//   StoreUnavailableError, on which the driver loop makes a primary step down.
import type { Etcd3, Namespace, Watcher } from "etcd3";
import type { CommitGuard, HostReport, ManagerState, MigrateRequest, Store, StoreView } from "../env";
import { NotPrimaryError, StoreUnavailableError } from "../env";
import { createEtcdClient, type StoreOptions } from "./client";
import { clusterPrefix, eventId, eventsPrefix, K } from "./keys";
import { type CachedKV, ViewCache } from "./view-cache";

export interface EtcdStoreOptions extends StoreOptions {
  host: string;
  /** Ignored (the heartbeat, store/heartbeat.ts, owns the lease); kept for old callers. */
  leaseTtlS?: number;
  /**
   * The id of this host's current lease (its heartbeat's): the election key and the report are
   * bound to it. Readers (`vmha`) give none.
   */
  leaseId?: () => string;
  /**
   * Serve read() from a copy kept current by a watch of the prefix, with a full range read at
   * least every `fullReadEveryMs` (default 5000) and whenever the watch is not connected. Saves
   * one request per loop iteration (~1 ms of CPU each). Off by default.
   */
  watchCache?: boolean;
  fullReadEveryMs?: number;
  /** With watchCache: called with each key a watch event changed, after the copy has it. */
  onChange?: (key: string) => void;
  /**
   * Longest interval between two puts of an unchanged report. Default 30 s: nothing reads a
   * report's age, and every put is a watch event that every agent's view must take in.
   */
  reportEveryMs?: number;
}

export interface ChangeEvent {
  type: "put" | "delete";
  key: string;
  value: string;
  revision: number;
}

interface ElectionKey {
  host: string;
  lease: string;
  createRevision: number;
}

export class EtcdStore implements Store {
  readonly client: Etcd3;
  readonly ns: Namespace;
  private election: ElectionKey | undefined;
  private eventSeq = 0;
  private lastReport = { key: "", sentAt: 0, value: "" };
  private readonly cache: ViewCache | undefined;
  private built: { version: number; view: StoreView; election: ElectionKey | undefined } | undefined;

  constructor(readonly opts: EtcdStoreOptions) {
    this.client = createEtcdClient(opts);
    this.ns = this.client.namespace(clusterPrefix(opts.cluster));
    this.cache = opts.watchCache ? new ViewCache(opts.fullReadEveryMs ?? 5000, opts.onChange) : undefined;
  }

  get host(): string {
    return this.opts.host;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      // A failed call may mean a silent partition: the watch does not know it is cut off (no
      // RST), so the copy would still look fresh when the link comes back and serve the state
      // from before the partition (a host once started its old VM from it while it ran
      // elsewhere). After any failure the next read() is a full, linearizable one.
      this.cache?.invalidate();
      if (err instanceof StoreUnavailableError || err instanceof NotPrimaryError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      throw new StoreUnavailableError(
        `host ${this.host}`,
        `store (${this.opts.endpoints.join(",")}) ${what}: ${msg}`,
        {
          cause: err,
        },
      );
    }
  }

  /** The current lease id ("" when none). */
  private get leaseId(): string {
    return this.opts.leaseId?.() ?? "";
  }

  /** A new lease means the old one was lost: never act on a copy made before that. */
  invalidateView(): void {
    this.cache?.invalidate();
  }

  /** Planned restart: puts the last report again, bound to the hand-off lease `id`. */
  async moveReport(id: string): Promise<void> {
    if (!this.lastReport.value) return;
    await this.call("hand off report", () =>
      this.ns.put(K.report(this.host)).value(this.lastReport.value).lease(id).exec(),
    );
  }

  async read(): Promise<StoreView> {
    const now = performance.now();
    const cache = this.cache;
    if (cache?.fresh(now)) return this.viewOf(cache);
    const res = await this.call("read", () => this.ns.getAll().exec());
    const revision = Number(res.header.revision);
    if (!cache) {
      const kvs = new Map(res.kvs.map((kv) => [kv.key.toString(), kvOf(kv)]));
      return this.buildView(kvs, revision);
    }
    cache.loadFull(res.kvs, revision, now);
    if (!cache.watcher) {
      // Events after the full read; until the watch is up, reads stay full reads.
      const w = await this.call("watch", () =>
        this.ns
          .watch()
          .prefix("")
          .startRevision(String(revision + 1))
          .create(),
      );
      cache.attach(w);
      cache.loadFull(res.kvs, revision, now);
    }
    return this.viewOf(cache);
  }

  /**
   * The view of the copy: the one built last when the copy has not changed since (same
   * version, same contents), so an idle loop neither re-parses every value nor, its check being
   * memoized on the view object (core/view-memo.ts), re-validates it. Nobody mutates a view.
   */
  private viewOf(cache: ViewCache): StoreView {
    const b = this.built;
    if (b?.version === cache.version) {
      this.election = b.election; // what buildView would derive again from the same keys
      return b.view;
    }
    const view = this.buildView(cache.kvs, cache.revision);
    this.built = { version: cache.version, view, election: this.election };
    return view;
  }

  private buildView(kvs: ReadonlyMap<string, CachedKV>, revision: number): StoreView {
    const view: StoreView = {
      revision,
      spec: undefined,
      specRevision: 0,
      manager: undefined,
      managerRevision: 0,
      leases: [],
      leaseIds: {},
      primary: undefined,
      reports: {},
      maintenance: [],
      migrateRequests: [],
    };
    this.election = undefined;
    for (const [key, kv] of kvs) {
      const value = kv.value;
      if (key === K.spec) {
        view.spec = parseJson(value);
        view.specRevision = kv.modRevision;
      } else if (key === K.manager) {
        view.manager = parseJson(value) as ManagerState | undefined;
        view.managerRevision = kv.modRevision;
      } else if (key === K.election) {
        const host = (parseJson(value) as { host?: string } | undefined)?.host;
        if (host) {
          view.primary = host;
          this.election = { host, lease: kv.lease, createRevision: kv.createRevision };
        }
      } else if (key.startsWith(K.leasePrefix)) {
        const host = key.slice(K.leasePrefix.length);
        view.leases.push(host);
        view.leaseIds![host] = kv.lease;
      } else if (key.startsWith(K.reportPrefix)) {
        const r = parseJson(value) as HostReport | undefined;
        if (r) view.reports[key.slice(K.reportPrefix.length)] = r;
      } else if (key.startsWith(K.maintenancePrefix)) {
        view.maintenance.push(key.slice(K.maintenancePrefix.length));
      } else if (key.startsWith(K.migrateRequestPrefix)) {
        const m = parseJson(value) as MigrateRequest | undefined;
        if (m) view.migrateRequests.push(m);
      }
    }
    view.leases.sort();
    return view;
  }

  /** True when the election key read last is ours, on our current lease. */
  private holdsElection(): boolean {
    return this.election?.host === this.host && this.election.lease === this.leaseId;
  }

  async campaign(eligible: boolean): Promise<boolean> {
    if (!eligible) {
      if (this.holdsElection()) await this.resign();
      return false;
    }
    if (this.holdsElection()) return true;
    if (this.election) return false; // someone (or our previous lease) holds it
    const res = await this.call("campaign", () =>
      this.ns
        .if(K.election, "Create", "==", 0)
        .then(
          this.ns
            .put(K.election)
            .value(JSON.stringify({ host: this.host }))
            .lease(this.leaseId),
        )
        .commit(),
    );
    if (!res.succeeded) {
      this.cache?.invalidate();
      return false;
    }
    const rev = Number(res.header.revision);
    this.election = { host: this.host, lease: this.leaseId, createRevision: rev };
    this.cache?.applyPut(K.election, JSON.stringify({ host: this.host }), rev, this.leaseId);
    return true;
  }

  async resign(): Promise<void> {
    const term = this.election?.createRevision;
    if (term === undefined || !this.holdsElection()) return;
    const res = await this.call("resign", () =>
      this.ns.if(K.election, "Create", "==", term).then(this.ns.delete().key(K.election)).commit(),
    );
    this.election = undefined;
    if (res.succeeded) this.cache?.applyDelete(K.election, Number(res.header.revision));
    else this.cache?.invalidate();
  }

  /** The primary's term (election key create revision), when this host holds it. */
  get term(): number | undefined {
    return this.holdsElection() ? this.election?.createRevision : undefined;
  }

  async commitManager(expectedRevision: number, state: ManagerState, guard?: CommitGuard): Promise<number> {
    const term = this.term;
    if (term === undefined)
      throw new NotPrimaryError(`host ${this.host}`, "commit refused: this host does not hold the election");
    const absent = guard?.absentLeases ?? [];
    const res = await this.call("commit manager", () => {
      let cmp = this.ns.if(K.manager, "Mod", "==", expectedRevision).and(K.election, "Create", "==", term);
      // Version 0 = the key does not exist (a host about to be fenced is not back)
      for (const h of absent) cmp = cmp.and(K.lease(h), "Version", "==", 0);
      return cmp.then(this.ns.put(K.manager).value(JSON.stringify(state))).commit();
    });
    if (!res.succeeded) {
      this.election = undefined;
      this.cache?.invalidate();
      throw new NotPrimaryError(
        `host ${this.host}`,
        `commit refused: manager changed since revision ${expectedRevision}, term ${term} is over` +
          (absent.length ? `, or ${absent.join(", ")} (to be fenced) came back with a new lease` : ""),
      );
    }
    const rev = Number(res.header.revision);
    this.cache?.applyPut(K.manager, JSON.stringify(state), rev, "0");
    return rev;
  }

  /**
   * Puts reports/<host> when its content changed, when the lease changed (the key went with the
   * old one) or every reportEveryMs: a report per iteration would be four raft writes a second
   * per host for nothing. `at` is therefore at most reportEveryMs old; nothing decides on it.
   */
  async report(report: HostReport): Promise<void> {
    const lease = this.leaseId;
    if (!lease) return;
    const { at: _at, ...content } = report;
    const key = `${lease}|${JSON.stringify(content)}`;
    const now = performance.now();
    if (key === this.lastReport.key && now - this.lastReport.sentAt < (this.opts.reportEveryMs ?? 30_000))
      return;
    const value = JSON.stringify(report);
    const res = await this.call("report", () =>
      this.ns.put(K.report(this.host)).value(value).lease(lease).exec(),
    );
    this.cache?.applyPut(K.report(this.host), value, Number(res.header.revision), lease);
    this.lastReport = { key, sentAt: now, value };
  }

  /** Appends one line to the event log (`vmha events`). */
  async appendEvent(record: object): Promise<void> {
    const id = eventId(Date.now(), this.host, this.eventSeq++);
    const key = eventsPrefix(this.opts.cluster) + id;
    await this.call("append event", () => this.client.put(key).value(JSON.stringify(record)).exec());
  }

  /** Watches the keys starting with each of `prefixes` (relative to the cluster prefix). */
  async watch(prefixes: readonly string[], onChange: (ev: ChangeEvent) => void): Promise<Watcher[]> {
    const emit = (type: "put" | "delete") => (kv: { key: Buffer; value: Buffer; mod_revision: string }) =>
      onChange({
        type,
        key: kv.key.toString(),
        value: kv.value.toString(),
        revision: Number(kv.mod_revision),
      });
    return Promise.all(
      prefixes.map(async (p) => {
        const w = await this.call("watch", () => this.ns.watch().prefix(p).create());
        w.on("put", emit("put"));
        w.on("delete", emit("delete"));
        return w;
      }),
    );
  }

  /** Shutdown: resign when asked (the lease is the heartbeat's to revoke), close the client. */
  async close(resign: boolean): Promise<void> {
    if (resign) {
      try {
        await this.resign();
      } catch {
        /* expires with the lease */
      }
    }
    await this.cache?.watcher?.cancel().catch(() => undefined);
    this.client.close();
  }
}

function kvOf(kv: { value: Buffer; mod_revision: string; create_revision: string; lease: string }): CachedKV {
  return {
    value: kv.value.toString(),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
    lease: String(kv.lease),
  };
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
