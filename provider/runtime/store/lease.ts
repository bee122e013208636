// A host's heartbeat: one etcd lease renewed with one keepalive request per call (the agent's
// loop calls it every keepaliveIntervalMs; etcd3's own timer would detect a loss only after
// 2 x TTL). As far as this host may assume, the lease is valid until the SEND time of its last
// acknowledged keepalive plus the TTL: etcd cannot have expired it earlier.
import type { Etcd3, Lease } from "etcd3";
import { StoreUnreachableError } from "./errors";

export class HostLease {
  private lease: Lease | undefined;
  id = "";
  /** Monotonic ms (performance.now) until which the lease is surely alive. */
  validUntilMs = 0;

  constructor(
    private readonly client: Etcd3,
    readonly ttlS: number,
    private readonly callTimeoutMs: number,
  ) {}

  /** Grants a new lease; returns its id (decimal string). */
  async grant(): Promise<string> {
    const sent = performance.now();
    this.lease = this.client.lease(this.ttlS, { autoKeepAlive: false });
    try {
      this.id = await this.lease.grant();
    } catch (err) {
      this.lease = undefined;
      throw new StoreUnreachableError("lease grant", err);
    }
    this.validUntilMs = sent + this.ttlS * 1000;
    return this.id;
  }

  get granted(): boolean {
    return this.lease !== undefined;
  }

  get raw(): Lease {
    if (!this.lease) throw new Error("lease: not granted");
    return this.lease;
  }

  /** One keepalive. Returns false when etcd says the lease no longer exists. */
  async renew(): Promise<boolean> {
    if (!this.lease) return false;
    const sent = performance.now();
    let ttl: number;
    try {
      const res = await this.lease.keepaliveOnce({ deadline: Date.now() + this.callTimeoutMs });
      ttl = Number(res.TTL);
    } catch (err) {
      if (/lease not found|LeaseNotFound|requested lease not found/i.test(String(err))) ttl = 0;
      else throw new StoreUnreachableError("lease keepalive", err);
    }
    if (ttl <= 0) {
      this.lease = undefined;
      return false;
    }
    this.validUntilMs = sent + this.ttlS * 1000;
    return true;
  }

  /** Deletes the lease (clean shutdown: the host's keys vanish at once). */
  async revoke(): Promise<void> {
    if (!this.lease) return;
    try {
      await this.lease.revoke({ deadline: Date.now() + this.callTimeoutMs });
    } catch {
      /* it expires by itself */
    }
    this.lease = undefined;
  }
}
