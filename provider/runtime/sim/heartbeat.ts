// A simulated host's heartbeat: the port's Heartbeat on the SimStore, on its OWN timer (every
// keepaliveIntervalMs of the host's clock), never blocked by the loop. A renewal is a store
// request like any other: late during an election (a late ack still counts, from its send
// time), lost when the host is cut off. It never grants a new lease by itself after the store
// said the old one is gone: only join() does, when the loop asks. A stalled agent (SIGSTOP)
// renews nothing; a restarted agent starts with no lease at all.
import type { Heartbeat, LeaseStatus } from "../env";
import { storeCall, storeRequest } from "./store";
import type { AgentProc, SimHost, SimWorld } from "./world";

export class SimHeartbeat implements Heartbeat {
  private s: LeaseStatus = { id: "", generation: 0, lastAckSentAt: Number.NEGATIVE_INFINITY, ttlMs: 0 };

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
        if (!ok) this.s.lostAt ??= this.a.env.clock.now();
        else if (sentAt > this.s.lastAckSentAt) this.s.lastAckSentAt = sentAt;
      },
    );
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

  async join(ttlMs: number): Promise<void> {
    const sentAt = this.a.env.clock.now();
    const ttl = Math.ceil(ttlMs / 1000) * 1000;
    const old = Number(this.s.id || -1);
    const id = await storeCall(this.w, this.h, "join", () => this.w.store.grant(this.h.name, ttl));
    // the old lease (a swap) is revoked once the new one holds: keys bound to it go with it
    if (old !== id) this.w.store.leases.delete(old);
    this.s = {
      id: String(id),
      generation: this.s.generation + 1,
      lastAckSentAt: sentAt,
      ttlMs: ttl,
      askedTtlMs: ttlMs,
    };
  }

  async putPresence(): Promise<void> {
    const id = Number(this.s.id);
    await storeCall(this.w, this.h, "presence", () => {
      if (this.w.store.leaseAlive(id)) {
        this.w.store.presence.set(this.h.name, id);
        this.w.store.revision++;
      }
    });
  }
}
