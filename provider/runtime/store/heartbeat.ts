// A host's heartbeat: one etcd lease, renewed on a timer of its own (never behind the agent's
// decision loop), over one long-lived LeaseKeepAlive stream PER etcd member, each renewal sent
// on every member at once. Any member's answer counts, and the lease counts as alive until the
// SEND time of the acknowledged request plus the TTL etcd granted: etcd cannot have expired it
// earlier. A slow renewal is never cancelled: during a leader election the followers hold
// renewals until a new leader exists and then answer them, and that late answer is proof.
//
// Lease loss is final for that lease: once any member answers that it does not exist (TTL <= 0),
// its renewals stop and `status().lostAt` is set. With `rejoinOnLoss`, a new lease is then taken
// at once (etcd can revoke a lease its host kept renewing: a leader frozen past the TTL does it on
// resuming, etcd-io/etcd#15247), and status().rejoinOf carries the lost lease's last ack until
// the loop says the new lease counts (counted()): the core counts from that ack until its view
// holds the new key (core/isolation.ts withRejoin), so taking it early is safe.
//
// join() = grant + put of the presence key bound to the new lease; a lease whose put failed is
// kept aside (renewed, not reported in status()) and the next join() or putPresence() retries
// the put on it, so the host never counts as joined without its presence key.
//
// See heartbeat-member.ts for the per-member channels and streams.

import { type LeaseStatus, nextRejoinOf } from "../env";
import type { StoreTls } from "./client";
import {
  describe,
  EtcdMember,
  isLeaseNotFound,
  isRetryable,
  type KeepaliveRequest,
} from "./heartbeat-member";

// The port's type (env.ts): the heartbeat is what fills it.
export type { LeaseStatus } from "../env";

export type HeartbeatLogLevel = "debug" | "info" | "warn" | "error";

export interface HeartbeatOptions {
  /** etcd client URLs, one per member. */
  endpoints: string[];
  host: string;
  /** Full key, e.g. /vmha/<cluster>/leases/<host>. */
  presenceKey: string;
  /** JSON value of the presence key; called with the id of the lease the key is bound to. */
  presenceValue: (leaseId: string) => string;
  /** Renewal period, independent of any decision loop (e.g. 250). */
  intervalMs: number;
  /** Monotonic ms clock (performance.now based). */
  now: () => number;
  tls?: StoreTls;
  auth?: { username: string; password: string };
  /** Called when the status changes in a way the loop must see: lease lost, first ack after a gap. */
  onChange?: () => void;
  log?: (level: HeartbeatLogLevel, message: string) => void;
  /** Deadline of each unary call on one member (grant, put, revoke, time-to-live). Default 1000. */
  callTimeoutMs?: number;
  /** How long resume() waits for a member to acknowledge its renewal. Default 2 x callTimeoutMs. */
  resumeTimeoutMs?: number;
  /**
   * A member whose stream leaves a renewal unanswered this long gets an additional stream for new
   * renewals (the old one is not cancelled). Default 2 x intervalMs.
   */
  hedgeAfterMs?: number;
  /** Take a new lease by itself as soon as the store says the held one is gone. Default false. */
  rejoinOnLoss?: boolean;
  /** Called after every join (the loop's or rejoinOnLoss's) with the new lease id. */
  onJoined?: (leaseId: string) => void;
}

interface Held {
  id: string;
  ttlMs: number;
  /** Send time of the last acknowledged grant/renewal of this lease. */
  ackSentAt: number;
  /** Taken after a loss, not yet counted by the loop: the lost lease's last ack. */
  rejoinOf?: { lastAckSentAt: number };
  /** The TTL join() asked for (undefined for a resumed or handed-off lease). */
  askedTtlMs?: number;
}

interface Pending extends Held {
  /** The TTL join() asked for, whole seconds. */
  askedTtlS: number;
}

interface Probe {
  id: string;
  /** undefined: closed before an answer. */
  done(result: { alive: boolean; sentAt: number } | undefined): void;
}

export class Heartbeat {
  private readonly members: EtcdMember[];
  private current: Held | undefined;
  private pending: Pending | undefined;
  private probe: Probe | undefined;
  private generation = 0;
  private lostAt: number | undefined;
  /** False once the current lease was revoked or handed off: no renewals for it. */
  private renewCurrent = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private serial: Promise<unknown> = Promise.resolve();
  private readonly callTimeoutMs: number;

  constructor(private readonly opts: HeartbeatOptions) {
    if (opts.endpoints.length === 0) throw new Error(`heartbeat of ${opts.host}: no etcd endpoints given`);
    if (!(opts.intervalMs > 0)) throw new Error(`heartbeat of ${opts.host}: intervalMs must be > 0`);
    this.callTimeoutMs = opts.callTimeoutMs ?? 1000;
    const events = {
      ack: (m: EtcdMember, req: KeepaliveRequest, ttlS: number) => this.onAck(m, req, ttlS),
      log: (level: HeartbeatLogLevel, message: string) => this.log(level, message),
    };
    this.members = opts.endpoints.map(
      (endpoint) =>
        new EtcdMember(
          {
            endpoint,
            now: opts.now,
            callTimeoutMs: this.callTimeoutMs,
            maxInFlight: 64,
            hedgeAfterMs: opts.hedgeAfterMs ?? 2 * opts.intervalMs,
            maxStreams: 4,
            ...(opts.tls ? { tls: opts.tls } : {}),
            ...(opts.auth ? { auth: opts.auth } : {}),
          },
          events,
        ),
    );
  }

  status(): LeaseStatus {
    const c = this.current;
    const s: LeaseStatus = {
      id: c?.id ?? "",
      generation: this.generation,
      lastAckSentAt: c?.ackSentAt ?? Number.NEGATIVE_INFINITY,
      ttlMs: c?.ttlMs ?? 0,
    };
    if (this.lostAt !== undefined) s.lostAt = this.lostAt;
    if (c?.rejoinOf) s.rejoinOf = { ...c.rejoinOf };
    if (c?.askedTtlMs !== undefined) s.askedTtlMs = c.askedTtlMs;
    return s;
  }

  /** The loop counts lease `id` now (its view held the key): status() stops reporting rejoinOf. */
  counted(id: string): void {
    if (this.current?.id === id) delete this.current.rejoinOf;
  }

  /** The store said the held lease is gone: with rejoinOnLoss, take a new one now. */
  private lost(message: string): void {
    this.lostAt = this.opts.now();
    this.log("error", message);
    this.opts.onChange?.();
    if (!this.opts.rejoinOnLoss || !this.current) return;
    const ttlMs = this.current.askedTtlMs ?? this.current.ttlMs;
    this.join(ttlMs).then(
      () => this.opts.onChange?.(),
      (err) =>
        this.log("warn", `taking a new lease after the loss failed: ${describe(err)} (the loop retries)`),
    );
  }

  /** Starts the renewal timer (every intervalMs; the first round at once). */
  start(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    this.tick();
  }

  /** One renewal round: every lease worth renewing, on every member, in parallel. */
  private tick(): void {
    if (this.closed) return;
    const ids: string[] = [];
    if (this.current && this.renewCurrent && this.lostAt === undefined) ids.push(this.current.id);
    if (this.pending) ids.push(this.pending.id);
    if (this.probe) ids.push(this.probe.id);
    if (ids.length === 0) return;
    const sentAt = this.opts.now();
    for (const m of this.members) m.send(ids, sentAt);
  }

  private onAck(m: EtcdMember, req: KeepaliveRequest, ttlS: number): void {
    if (this.closed) return;
    const alive = ttlS > 0;
    if (this.probe?.id === req.leaseId) this.probe.done({ alive, sentAt: req.sentAt });
    const c = this.current;
    if (c?.id === req.leaseId && this.renewCurrent) {
      if (this.lostAt !== undefined) return; // lost is final until join()
      if (!alive) {
        const sinceAck = this.opts.now() - c.ackSentAt;
        this.lost(
          `lease ${c.id} is gone (etcd ${m.address} answered TTL ${ttlS}); renewals stopped` +
            // An operator should know when etcd revoked a lease renewed less than a TTL ago: a
            // leader that stalled past the TTL revokes on resuming what the next leader kept
            // renewing (etcd-io/etcd#15247; 3.6.16 still does it after a whole-process stop).
            (sinceAck < c.ttlMs
              ? `; etcd revoked it ${Math.round(sinceAck)} ms after acknowledging a renewal, less than its TTL (${c.ttlMs} ms): an etcd leader that stalled and resumed does this (etcd-io/etcd#15247), see README "Known limits"`
              : "") +
            (this.opts.rejoinOnLoss ? "; taking a new lease" : ""),
        );
        return;
      }
      if (req.sentAt > c.ackSentAt) {
        // A gap: until this answer, the newest proof was more than two rounds old.
        const gap = this.opts.now() - c.ackSentAt > 2 * this.opts.intervalMs;
        c.ackSentAt = req.sentAt;
        if (gap) this.opts.onChange?.();
      }
      return;
    }
    const p = this.pending;
    if (p?.id === req.leaseId) {
      if (!alive) {
        this.log(
          "warn",
          `lease ${p.id} (granted, presence not yet put) is gone; the next join() grants anew`,
        );
        this.pending = undefined;
      } else if (req.sentAt > p.ackSentAt) p.ackSentAt = req.sentAt;
    }
  }

  /** Runs mutating operations one at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(() => {
      if (this.closed) throw new Error(`heartbeat of ${this.opts.host} is closed`);
      return fn();
    });
    this.serial = run.catch(() => undefined);
    return run;
  }

  /** A unary call on the first member that answers: the most recently heard-from first. */
  private async call<T>(what: string, service: "Lease" | "KV", method: string, req: object): Promise<T> {
    const order = [...this.members].sort((a, b) => b.lastAnswerAt - a.lastAnswerAt);
    const errors: string[] = [];
    for (const m of order) {
      try {
        return await m.unary<T>(service, method, req);
      } catch (err) {
        if (!isRetryable(err)) throw err;
        errors.push(`${m.address}: ${describe(err)}`);
      }
    }
    throw new Error(`${what}: no etcd member answered (${errors.join("; ")})`);
  }

  private async grant(ttlS: number): Promise<Pending> {
    const sentAt = this.opts.now();
    const res = await this.call<{ ID: string; TTL: string; error: string }>(
      "lease grant",
      "Lease",
      "LeaseGrant",
      {
        TTL: ttlS,
        ID: 0,
      },
    );
    if (res.error) throw new Error(`lease grant: ${res.error}`);
    return { id: String(res.ID), ttlMs: Number(res.TTL) * 1000, ackSentAt: sentAt, askedTtlS: ttlS };
  }

  private async put(leaseId: string): Promise<void> {
    await this.call("put presence", "KV", "Put", {
      key: Buffer.from(this.opts.presenceKey),
      value: Buffer.from(this.opts.presenceValue(leaseId)),
      lease: leaseId,
    });
  }

  /** Best effort: an abandoned lease has no keys we need; it would expire by itself within its TTL. */
  private async revokeQuietly(id: string): Promise<void> {
    try {
      await this.call("lease revoke", "Lease", "LeaseRevoke", { ID: id });
    } catch (err) {
      if (!isLeaseNotFound(err))
        this.log("warn", `revoke of lease ${id}: ${describe(err)} (it expires by itself)`);
    }
  }

  /**
   * The pending lease, its presence put, becomes the held one; a superseded live lease is revoked.
   * One taken after a loss carries the lost lease's last ack (the oldest of a chain of losses
   * whose new leases never counted).
   */
  private async promote(p: Pending): Promise<void> {
    const old = this.current;
    const oldLive = old !== undefined && this.lostAt === undefined && this.renewCurrent;
    const afterLoss = old !== undefined && this.lostAt !== undefined && this.renewCurrent;
    this.current = { id: p.id, ttlMs: p.ttlMs, ackSentAt: p.ackSentAt };
    if (p.askedTtlMs !== undefined) this.current.askedTtlMs = p.askedTtlMs;
    // a lease taken after a loss, or replacing one that never counted, counts from the oldest
    // lost ack until the loop counts it
    const rejoinOf = nextRejoinOf(afterLoss ? old.ackSentAt : undefined, old?.rejoinOf);
    if (rejoinOf) this.current.rejoinOf = rejoinOf;
    this.pending = undefined;
    this.generation++;
    this.lostAt = undefined;
    this.renewCurrent = true;
    this.log("info", `joined with lease ${p.id} (TTL ${p.ttlMs} ms, generation ${this.generation})`);
    this.opts.onJoined?.(p.id);
    if (old && old.id !== p.id && oldLive) await this.revokeQuietly(old.id);
  }

  /** Puts the presence on the pending lease and promotes it; forgets it if etcd no longer has it. */
  private async completePending(p: Pending): Promise<void> {
    try {
      await this.put(p.id);
    } catch (err) {
      if (isLeaseNotFound(err) && this.pending === p) this.pending = undefined;
      throw new Error(
        `lease ${p.id} granted (TTL ${p.ttlMs} ms) but the put of ${this.opts.presenceKey} failed: ${describe(err)}` +
          (this.pending === p ? "; the next join() or putPresence() retries it on that lease" : ""),
      );
    }
    await this.promote(p);
  }

  /**
   * Takes over a previous process's lease if it still lives: true once a member acknowledged a
   * renewal of it (lastAckSentAt = that renewal's send time). False when etcd no longer has it.
   * Throws when no member answers. Does not touch the presence key (putPresence() re-puts it).
   * asGranted: the lease was granted with the TTL the loop wants (status().askedTtlMs = granted).
   */
  resume(id: string, asGranted = false): Promise<boolean> {
    return this.exclusive(async () => {
      const res = await this.call<{ TTL: string; grantedTTL: string }>(
        "lease time-to-live",
        "Lease",
        "LeaseTimeToLive",
        { ID: id, keys: false },
      );
      // TimeToLive answers -1 for a lease that is gone; 0 only means "less than a second left".
      if (Number(res.TTL) < 0) return false;
      const wait = this.opts.resumeTimeoutMs ?? 2 * this.callTimeoutMs;
      const result = await new Promise<{ alive: boolean; sentAt: number } | undefined>((resolve) => {
        const timer = setTimeout(() => {
          this.probe = undefined;
          resolve(undefined);
        }, wait);
        this.probe = {
          id,
          done: (r) => {
            clearTimeout(timer);
            this.probe = undefined;
            resolve(r);
          },
        };
        const sentAt = this.opts.now();
        for (const m of this.members) m.send([id], sentAt);
      });
      if (!result)
        throw new Error(
          this.closed
            ? `resume of lease ${id}: heartbeat closed`
            : `resume of lease ${id}: no etcd member acknowledged a renewal within ${wait} ms`,
        );
      if (!result.alive) return false;
      const old = this.current;
      if (old && old.id !== id && this.lostAt === undefined && this.renewCurrent)
        await this.revokeQuietly(old.id);
      this.current = { id, ttlMs: Number(res.grantedTTL) * 1000, ackSentAt: result.sentAt };
      if (asGranted) this.current.askedTtlMs = this.current.ttlMs;
      this.generation++;
      this.lostAt = undefined;
      this.renewCurrent = true;
      this.log("info", `resumed lease ${id} (TTL ${this.current.ttlMs} ms, generation ${this.generation})`);
      return true;
    });
  }

  /**
   * Grants a NEW lease of ceil(ttlMs / 1000) s (status().ttlMs = what etcd granted) and puts the
   * presence key bound to it; then it is the held lease (generation + 1, lostAt cleared) and a
   * previous live lease is revoked. If the put fails, join throws and the granted lease is kept
   * aside (renewed, not in status()); the next join() with the same TTL, or putPresence(),
   * retries the put on it. A kept lease that a join with another TTL abandons is revoked.
   */
  join(ttlMs: number, ifGeneration?: number): Promise<void> {
    return this.exclusive(async () => {
      // the caller decided on `ifGeneration`; a join since (rejoinOnLoss's) already did the work
      if (ifGeneration !== undefined && this.generation !== ifGeneration) return;
      const ttlS = Math.max(1, Math.ceil(ttlMs / 1000));
      let p = this.pending;
      if (p && p.askedTtlS !== ttlS) {
        this.pending = undefined;
        await this.revokeQuietly(p.id);
        p = undefined;
      }
      if (p) {
        p.askedTtlMs = ttlMs;
        try {
          await this.completePending(p);
          return;
        } catch (err) {
          if (this.pending === p) throw err; // still alive: the put failed again
          // etcd dropped it meanwhile: grant anew below
        }
      }
      const fresh = await this.grant(ttlS);
      fresh.askedTtlMs = ttlMs;
      this.pending = fresh;
      await this.completePending(fresh);
    });
  }

  /**
   * Puts the presence key again bound to the held lease (C2: it was deleted while the lease
   * lives), or completes a join whose put failed. Throws if no lease is held or it is lost; a
   * put that etcd refuses because the lease is gone sets lostAt.
   */
  putPresence(): Promise<void> {
    return this.exclusive(async () => {
      if (this.pending) return this.completePending(this.pending);
      const c = this.current;
      if (!c || !this.renewCurrent) throw new Error("put presence: no lease held (join() first)");
      if (this.lostAt !== undefined) throw new Error(`put presence: lease ${c.id} is lost (join() first)`);
      try {
        await this.put(c.id);
      } catch (err) {
        if (isLeaseNotFound(err) && this.current === c && this.lostAt === undefined)
          this.lost(`lease ${c.id} is gone (put of the presence refused); renewals stopped`);
        throw new Error(`put presence on lease ${c.id}: ${describe(err)}`);
      }
    });
  }

  /** Leaves: stops renewing and revokes the lease (its keys vanish at once). Throws if no member revoked it. */
  revoke(): Promise<void> {
    return this.exclusive(async () => {
      const ids = [this.current?.id, this.pending?.id].filter((id): id is string => !!id);
      this.renewCurrent = false;
      this.current = undefined;
      this.pending = undefined;
      this.lostAt = undefined;
      const failed: string[] = [];
      for (const id of ids) {
        try {
          await this.call("lease revoke", "Lease", "LeaseRevoke", { ID: id });
        } catch (err) {
          if (!isLeaseNotFound(err)) failed.push(`${id}: ${describe(err)}`);
        }
      }
      if (failed.length)
        throw new Error(`revoke (not renewed any more; expires within its TTL): ${failed.join("; ")}`);
    });
  }

  /**
   * Planned restart: grants a graceS lease, moves the presence key onto it, revokes the current
   * lease and stops renewing. The new lease is the held one (generation + 1) but is not renewed:
   * the next process resume()s it. Returns its id. If the move fails, the new lease is revoked,
   * the current one is kept and renewed, and handOff throws.
   */
  handOff(graceS: number): Promise<string> {
    return this.exclusive(async () => {
      const old = this.current;
      if (!old || !this.renewCurrent || this.lostAt !== undefined)
        throw new Error("hand off: no live lease held");
      const next = await this.grant(Math.max(1, Math.ceil(graceS)));
      try {
        await this.put(next.id);
      } catch (err) {
        await this.revokeQuietly(next.id);
        throw new Error(
          `hand off: put of ${this.opts.presenceKey} on lease ${next.id} failed: ${describe(err)}`,
        );
      }
      this.renewCurrent = false;
      this.current = { id: next.id, ttlMs: next.ttlMs, ackSentAt: next.ackSentAt };
      this.generation++;
      await this.revokeQuietly(old.id);
      this.log("info", `handed off to lease ${next.id} (TTL ${next.ttlMs} ms); renewals stopped`);
      return next.id;
    });
  }

  /** Stops the timer and closes every member's stream and channel (no revoke: the lease expires). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.probe?.done(undefined);
    for (const m of this.members) m.close();
  }

  private log(level: HeartbeatLogLevel, message: string): void {
    this.opts.log?.(level, `heartbeat ${this.opts.host}: ${message}`);
  }
}
