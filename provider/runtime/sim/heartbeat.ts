// A simulated host's heartbeat: the port's Heartbeat on the SimStore, on its OWN timer (every
// keepaliveIntervalMs of the host's clock), never blocked by the loop. A renewal is a store
// request like any other: late during an election (a late ack still counts, from its send
// time), lost when the host is cut off. As the real one (rejoinOnLoss), it takes a new lease at
// once when the store says the held one is gone, reporting the lost lease's last ack in
// rejoinOf until the loop counts the new one. A stalled agent (SIGSTOP) renews nothing; a
// restarted agent starts with no lease at all.
import type { Heartbeat, LeaseStatus } from "../env";
import { nextRejoinOf, StoreUnavailableError } from "../env";
import { storeCall, storeRequest } from "./store";
import type { AgentProc, SimHost, SimWorld } from "./world";

export class SimHeartbeat implements Heartbeat {
  private s: LeaseStatus = { id: "", generation: 0, lastAckSentAt: Number.NEGATIVE_INFINITY, ttlMs: 0 };
  private joining: Promise<void> | undefined;

  constructor(
    private readonly w: SimWorld,
    private readonly h: SimHost,
    private readonly a: AgentProc,
  ) {}

  status(): LeaseStatus {
    return { ...this.s };
  }

  /** Starts the renewal timer of this agent incarnation. */
  start(): void {
    const tick = () => {
      this.renew();
      const k = this.w.timing.keepaliveIntervalMs;
      this.w.deliver(this.h, this.a.inc, k / this.a.rate, tick);
    };
    this.w.deliver(this.h, this.a.inc, 0, tick);
  }

  private renew(): void {
    if (!this.s.id || this.s.lostAt !== undefined) return;
    const id = Number(this.s.id);
    const sentAt = this.a.env.clock.now();
    const store = this.w.store;
    storeRequest(
      this.w,
      this.h,
      () => {
        if (!store.leaseAlive(id)) return false;
        store.leases.get(id)!.renewedAt = this.w.now;
        return true;
      },
      (ok) => {
        if (this.s.id !== String(id)) return;
        if (!ok) this.lost();
        else if (sentAt > this.s.lastAckSentAt) this.s.lastAckSentAt = sentAt;
      },
    );
  }

  /** The store said the lease is gone: as the real heartbeat, stop renewing, wake the loop, rejoin. */
  private lost(): void {
    if (this.s.lostAt !== undefined) return;
    this.s.lostAt = this.a.env.clock.now();
    this.a.wake?.();
    this.join(this.s.askedTtlMs ?? this.s.ttlMs).then(
      () => this.a.wake?.(),
      () => undefined, // the loop retries
    );
  }

  counted(id: string): void {
    if (this.s.id === id) delete this.s.rejoinOf;
  }

  /** The lease the world booted this host with (scenarios start with every host joined). */
  adopt(id: number): void {
    const ttlMs = this.w.store.leases.get(id)!.ttlMs;
    this.s = {
      id: String(id),
      generation: 1,
      lastAckSentAt: this.a.env.clock.now(),
      ttlMs,
      askedTtlMs: ttlMs,
    };
  }

  /** One join at a time, as the real heartbeat's exclusive(). */
  join(ttlMs: number, ifGeneration?: number): Promise<void> {
    const run = (this.joining ?? Promise.resolve()).then(() =>
      ifGeneration !== undefined && this.s.generation !== ifGeneration ? undefined : this.joinNow(ttlMs),
    );
    this.joining = run.catch(() => undefined);
    return run;
  }

  private async joinNow(ttlMs: number): Promise<void> {
    const sentAt = this.a.env.clock.now();
    const ttl = Math.ceil(ttlMs / 1000) * 1000;
    const old = Number(this.s.id || -1);
    const id = await storeCall(this.w, this.h, "join", () => this.w.store.grant(this.h.name, ttl));
    // the old lease (a swap) is revoked once the new one holds: keys bound to it go with it
    if (old !== id) this.w.store.leases.delete(old);
    const prev = this.s;
    this.s = {
      id: String(id),
      generation: prev.generation + 1,
      lastAckSentAt: sentAt,
      ttlMs: ttl,
      askedTtlMs: ttlMs,
    };
    const rejoinOf = nextRejoinOf(
      prev.id && prev.lostAt !== undefined ? prev.lastAckSentAt : undefined,
      prev.rejoinOf,
    );
    if (rejoinOf) this.s.rejoinOf = rejoinOf;
  }

  /** As the real one: a put that the store refuses because the lease is gone marks it lost. */
  async putPresence(): Promise<void> {
    const id = Number(this.s.id);
    const ok = await storeCall(this.w, this.h, "presence", () => {
      if (!this.w.store.leaseAlive(id)) return false;
      this.w.store.presence.set(this.h.name, id);
      this.w.store.revision++;
      return true;
    });
    if (!ok && this.s.id === String(id)) {
      this.lost();
      throw new StoreUnavailableError(`host ${this.h.name}`, `presence: put on lease ${id}: lease not found`);
    }
  }
}
