// The simulated coordination store, with etcd's semantics where they matter for safety:
//   - leases with the TTL granted at join (whole seconds); keys bound to a lease (leases/<h>,
//     reports/<h>, election) vanish when it expires; a re-grant is a NEW lease (the old one
//     lives on until it expires, as in etcd);
//   - no leader (store down, or an election) = no lease expires; the new leader promotes every
//     live lease (renewedAt = now), as etcd's Promote does;
//   - every call has a one-way latency; during an election requests are HELD and carried out
//     when it ends (a client that gave up meanwhile never learns that its commit happened);
//     `lose-replies` applies the next calls but loses their answers;
//   - values are raw JSON: anyone (an operator, another version) may have written anything.
import type { StoreView } from "../core/model";
import { StoreUnavailableError } from "../env";
import type { Engine } from "./engine";
import type { SimHost, SimWorld } from "./world";

export interface SimLease {
  id: number;
  host: string;
  ttlMs: number;
  renewedAt: number;
}

export class SimStore {
  revision = 1;
  readonly leases = new Map<number, SimLease>();
  /** leases/<host> -> the lease it is bound to. */
  readonly presence = new Map<string, number>();
  /** When leases/<host> was deleted by hand (not by expiry). */
  readonly presenceDeletedAt = new Map<string, number>();
  /** Leases the store revoked while they lived, as they were then, and when. */
  private readonly revoked = new Map<number, SimLease & { at: number }>();
  election: { host: string; leaseId: number } | undefined;
  /** When each host last gave up the election (resigned) or lost it to a revocation. */
  readonly electionLostAt = new Map<string, number>();
  manager: unknown;
  managerRevision = 0;
  /** The last manager state a primary committed (`store restore manager` puts it back). */
  lastCommitted: unknown;
  readonly reports = new Map<string, { value: unknown; leaseId?: number }>();
  readonly maintenance = new Set<string>();
  readonly migrate = new Map<string, unknown>();
  spec: unknown;
  specRevision = 1;
  down = false;
  /** No leader since (store down or election): leases do not expire meanwhile. */
  frozenSince: number | undefined;
  electionUntil: number | undefined;
  /** Requests that arrived during an election, carried out when it ends. */
  readonly held: Array<() => void> = [];
  latencyMs = 2;
  /** The agent's store timeout (agent default storeTimeoutMs). */
  timeoutMs = 300;
  loseReplies = 0;

  constructor(private readonly e: Engine) {}

  leaseAlive(id: number | undefined): boolean {
    const l = id === undefined ? undefined : this.leases.get(id);
    if (!l) return false;
    return (this.frozenSince ?? this.e.now) < l.renewedAt + l.ttlMs;
  }

  /** leases/<h> exists and its lease lives: what the primary calls "alive". */
  hostAlive(h: string): boolean {
    return this.leaseAlive(this.presence.get(h));
  }

  /**
   * When leases/<h> went away, as the deadlines count it: its expiry as the store counts it, a
   * deletion, or for a lease the store revoked while it lived, when it would have expired (the
   * host counts from its last ack and cannot know; the primary from its sighting + TTL).
   */
  presenceGoneAt(h: string): number {
    const id = this.presence.get(h);
    const r = id === undefined ? undefined : this.revoked.get(id);
    if (r) return r.renewedAt + r.ttlMs;
    const l = id === undefined ? undefined : this.leases.get(id);
    if (!l) return this.presenceDeletedAt.get(h) ?? this.e.now;
    return Math.min(l.renewedAt + l.ttlMs, this.e.now);
  }

  grant(host: string, ttlMs: number): number {
    const id = ++this.revision;
    this.leases.set(id, { id, host, ttlMs, renewedAt: this.e.now });
    this.presence.set(host, id);
    this.presenceDeletedAt.delete(host);
    return id;
  }

  /**
   * The store revokes h's live lease, as a resumed etcd leader that was frozen past the TTL does
   * with leases the next leader kept renewing (etcd-io/etcd#15247): every key bound to it
   * (leases/<h>, reports/<h>, the election) goes at once, and the next renewal answers "gone".
   */
  revoke(h: string): void {
    const id = this.presence.get(h);
    if (id === undefined || !this.leaseAlive(id)) return;
    this.revision++;
    this.revoked.set(id, { ...this.leases.get(id)!, at: this.e.now });
    if (this.election?.leaseId === id) this.electionLostAt.set(h, this.e.now);
    this.leases.delete(id);
  }

  /**
   * The lease is past the time it would expire by: gone and not revoked, or revoked and its
   * last renewal older than its TTL. A host that pets past this time outlives its deadline.
   */
  leaseExpired(id: number | undefined): boolean {
    if (this.leaseAlive(id)) return false;
    const r = id === undefined ? undefined : this.revoked.get(id);
    return !r || this.e.now >= r.renewedAt + r.ttlMs;
  }

  freeze(): void {
    this.frozenSince ??= this.e.now;
  }

  /** A leader again: every lease alive when it was lost gets a full TTL from now. */
  unfreeze(): void {
    if (this.frozenSince === undefined) return;
    const f = this.frozenSince;
    for (const l of this.leases.values()) if (f < l.renewedAt + l.ttlMs) l.renewedAt = this.e.now;
    this.frozenSince = undefined;
  }

  primary(): string | undefined {
    const e = this.election;
    return e && this.leaseAlive(e.leaseId) ? e.host : undefined;
  }

  /** One linearizable read, raw values (the driver validates them). */
  view(): StoreView {
    const leases = [...this.presence.keys()].filter((h) => this.hostAlive(h)).sort();
    const leaseIds: Record<string, string> = {};
    for (const h of leases) leaseIds[h] = String(this.presence.get(h));
    const reports: Record<string, unknown> = {};
    for (const [h, r] of [...this.reports].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (r.leaseId === undefined || this.leaseAlive(r.leaseId)) reports[h] = structuredClone(r.value);
    }
    return {
      revision: this.revision,
      spec: structuredClone(this.spec),
      specRevision: this.specRevision,
      manager: structuredClone(this.manager) as StoreView["manager"],
      managerRevision: this.managerRevision,
      leases,
      leaseIds,
      primary: this.primary(),
      reports: reports as StoreView["reports"],
      maintenance: [...this.maintenance].sort(),
      migrateRequests: [...this.migrate.values()].map((v) =>
        structuredClone(v),
      ) as StoreView["migrateRequests"],
    };
  }

  /** An operator's etcdctl put (unbound to any lease). */
  put(key: string, value: unknown): void {
    this.revision++;
    if (key === "spec") {
      this.spec = value;
      this.specRevision = this.revision;
    } else if (key === "manager") {
      this.manager = value === "restore" ? structuredClone(this.lastCommitted) : value;
      this.managerRevision = this.revision;
    } else if (key.startsWith("reports/")) {
      this.reports.set(key.slice(8), { value });
    } else if (key.startsWith("requests/migrate/")) {
      this.migrate.set(key.slice(17), value);
    } else if (key.startsWith("maintenance/")) {
      this.maintenance.add(key.slice(12));
    } else {
      throw new Error(`store put: unknown key ${key}`);
    }
  }

  delete(key: string): void {
    this.revision++;
    if (key.startsWith("leases/")) {
      const h = key.slice(7);
      if (this.presence.delete(h)) this.presenceDeletedAt.set(h, this.e.now);
    } else if (key.startsWith("reports/")) this.reports.delete(key.slice(8));
    else if (key.startsWith("requests/migrate/")) this.migrate.delete(key.slice(17));
    else if (key.startsWith("maintenance/")) this.maintenance.delete(key.slice(12));
    else if (key === "manager") {
      this.manager = undefined;
      this.managerRevision = 0;
    } else throw new Error(`store delete: unknown key ${key}`);
  }
}

/**
 * Sends one request from host h's current agent: it reaches the store after the latency
 * (lost if the store is down or h is cut off), is held during an election, is carried out by
 * `apply`, and its answer travels back (lost if h is cut off meanwhile or replies are being
 * lost). `onReply` runs in the agent (not while it is stalled, never in a later incarnation).
 */
export function storeRequest<R>(w: SimWorld, h: SimHost, apply: () => R, onReply: (r: R) => void): void {
  const inc = h.agent?.inc;
  const s = w.store;
  if (inc === undefined || !w.reachable(h)) return;
  const process = () => {
    if (!w.reachable(h)) return;
    if (s.electionUntil !== undefined) {
      s.held.push(process);
      return;
    }
    const out = apply();
    if (s.loseReplies > 0) {
      s.loseReplies--;
      return;
    }
    w.engine.after(s.latencyMs, () => {
      if (w.reachable(h)) w.deliver(h, inc, 0, () => onReply(out));
    });
  };
  w.engine.after(s.latencyMs, process);
}

/** A Store call: storeRequest with the agent's timeout; errors thrown by `apply` are the answer. */
export function storeCall<T>(w: SimWorld, h: SimHost, what: string, apply: () => T): Promise<T> {
  const inc = h.agent?.inc;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    if (inc === undefined) return;
    w.deliver(h, inc, w.store.timeoutMs, () => {
      if (settled) return;
      settled = true;
      reject(
        new StoreUnavailableError(`host ${h.name}`, `${what}: no answer within ${w.store.timeoutMs} ms`),
      );
    });
    storeRequest(
      w,
      h,
      () => {
        try {
          return { ok: true as const, v: apply() };
        } catch (err) {
          return { ok: false as const, err };
        }
      },
      (r) => {
        if (settled) return;
        settled = true;
        if (r.ok) resolve(r.v);
        else reject(r.err);
      },
    );
  });
}
