// A simulated host's heartbeat: the Heartbeat of the port on the SimWorld's store. The world
// renews it at the start of the host's round (the agent's own timer; a hung agent does not
// renew); it never grants a new lease by itself after the store let the old one expire: only
// join() does, as the real one.
import type { Heartbeat, LeaseStatus } from "../env";
import { StoreUnavailableError } from "../env";
import type { SimHost, SimWorld } from "./world";

export class SimHeartbeat implements Heartbeat {
  private s: LeaseStatus = { id: "", generation: 0, lastAckSentAt: Number.NEGATIVE_INFINITY, ttlMs: 0 };

  constructor(
    private readonly w: SimWorld,
    private readonly h: SimHost,
  ) {}

  status(): LeaseStatus {
    return { ...this.s };
  }

  /** One renewal at the world's now, if the store can be reached. */
  renew(): void {
    const w = this.w;
    if (!this.s.id || this.s.lostAt !== undefined || !w.reachable(this.h)) return;
    if (w.store.leaseGen.get(this.h.name) === Number(this.s.id) && w.leaseAlive(this.h.name)) {
      if (!w.store.frozen) w.store.renewedAt.set(this.h.name, w.now);
      this.s.lastAckSentAt = w.now;
    } else {
      this.s.lostAt = w.now;
    }
  }

  /** A lease this agent holds from the start (the world boots with every host joined). */
  adopt(gen: number): void {
    const ttlMs = this.w.timing.leaseTtlMs;
    this.s = { id: String(gen), generation: 1, lastAckSentAt: this.w.now, ttlMs, askedTtlMs: ttlMs };
  }

  async join(ttlMs: number): Promise<void> {
    const w = this.w;
    if (!w.reachable(this.h)) {
      throw new StoreUnavailableError(`host ${this.h.name}`, "join: store unreachable from this host");
    }
    const gen = w.newLease(this.h.name);
    this.s = {
      id: String(gen),
      generation: this.s.generation + 1,
      lastAckSentAt: w.now,
      ttlMs: Math.ceil(ttlMs / 1000) * 1000,
      askedTtlMs: ttlMs,
    };
  }

  async putPresence(): Promise<void> {
    if (!this.w.reachable(this.h)) {
      throw new StoreUnavailableError(`host ${this.h.name}`, "presence: store unreachable from this host");
    }
  }
}
