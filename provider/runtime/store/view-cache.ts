// A copy of the cluster's keys kept current by one watch of the prefix, so an agent's
// per-iteration read() costs no request. Consistency: the copy starts from a full range read at
// revision R (events up to R are ignored, they are in it); later events are applied per key
// only if newer than what the copy holds (mod revision), so the agent's own writes, applied at
// once, and late events never go backwards. Whenever the watch is not known to be connected,
// or the last full read is older than `fullReadEveryMs`, the caller must do a full read.
import type { IKeyValue, Watcher } from "etcd3";

export interface CachedKV {
  value: string;
  modRevision: number;
  createRevision: number;
  lease: string;
}

export class ViewCache {
  readonly kvs = new Map<string, CachedKV>();
  /** Highest revision applied (full read or event). */
  revision = 0;
  /**
   * Bumped by every change to `kvs` (full read, own write, event): equal versions mean equal
   * contents, so a view built at one version can be served again (EtcdStore.read()).
   */
  version = 0;
  private fullReadRevision = 0;
  private fullReadAt = -Infinity;
  private connected = false;
  private fullReadSinceConnect = false;
  watcher: Watcher | undefined;

  constructor(
    private readonly fullReadEveryMs: number,
    /** Called after a watch event was applied (so a wake-up sees the new state). */
    private readonly onApplied?: (key: string) => void,
  ) {}

  /** True when read() may be served from the copy. */
  fresh(now: number): boolean {
    return this.connected && this.fullReadSinceConnect && now - this.fullReadAt < this.fullReadEveryMs;
  }

  /** The next read() must be a full read (a compare failed: the copy may be behind). */
  invalidate(): void {
    this.fullReadAt = -Infinity;
  }

  loadFull(kvs: readonly IKeyValue[], revision: number, now: number): void {
    this.kvs.clear();
    for (const kv of kvs) this.kvs.set(kv.key.toString(), fromKv(kv));
    this.revision = revision;
    this.fullReadRevision = revision;
    this.fullReadAt = now;
    this.fullReadSinceConnect = this.connected;
    this.version++;
  }

  /** The agent's own write, applied at once (its watch event follows and changes nothing). */
  applyPut(key: string, value: string, revision: number, lease: string): void {
    const cur = this.kvs.get(key);
    if (cur && cur.modRevision >= revision) return;
    this.kvs.set(key, {
      value,
      modRevision: revision,
      createRevision: cur?.createRevision ?? revision,
      lease,
    });
    this.revision = Math.max(this.revision, revision);
    this.version++;
  }

  applyDelete(key: string, revision: number): void {
    const cur = this.kvs.get(key);
    if (cur && cur.modRevision >= revision) return;
    this.kvs.delete(key);
    this.revision = Math.max(this.revision, revision);
    this.version++;
  }

  attach(w: Watcher): void {
    this.watcher = w;
    this.connected = true;
    w.on("connected", () => {
      this.connected = true;
      this.fullReadSinceConnect = false;
    });
    w.on("disconnected", () => {
      this.connected = false;
    });
    w.on("error", () => {
      this.connected = false;
    });
    w.on("put", (kv) => {
      const rev = Number(kv.mod_revision);
      if (rev <= this.fullReadRevision) return;
      const key = kv.key.toString();
      const cur = this.kvs.get(key);
      if (cur && cur.modRevision >= rev) return;
      this.kvs.set(key, fromKv(kv));
      this.revision = Math.max(this.revision, rev);
      this.version++;
      this.onApplied?.(key);
    });
    w.on("delete", (kv) => {
      const rev = Number(kv.mod_revision);
      if (rev <= this.fullReadRevision) return;
      this.applyDelete(kv.key.toString(), rev);
      this.onApplied?.(kv.key.toString());
    });
  }
}

function fromKv(kv: IKeyValue): CachedKV {
  return {
    value: kv.value.toString(),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
    lease: String(kv.lease),
  };
}
