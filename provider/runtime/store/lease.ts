// A host's heartbeat: one etcd lease renewed over ONE long-lived keepalive stream, one request
// per call (the agent's loop calls renew() every keepaliveIntervalMs; etcd3's own Lease timer
// notices a loss only after 2 x TTL). As far as this host may assume, the lease is valid until
// the SEND time of its last acknowledged keepalive plus the TTL: etcd cannot have expired it
// earlier. The id can be resumed by a restarted agent (the lease outlives the process by up to
// one TTL), so a quick agent restart neither drops the heartbeat nor gets the host fenced.
import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from "etcd3";

type KeepaliveStream = IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;

class KeepaliveTimeout extends Error {}

export class HostLease {
  id = "";
  /** Monotonic ms (performance.now) until which the lease is surely alive. */
  validUntilMs = 0;
  private stream: KeepaliveStream | undefined;
  /** The one outstanding renewal, bound to the stream it was written on (review L5). */
  private waiting:
    | { stream: KeepaliveStream; done: (r: ILeaseKeepAliveResponse | Error) => void }
    | undefined;

  constructor(
    private readonly client: Etcd3,
    public ttlS: number,
    private readonly callTimeoutMs: number,
  ) {}

  get granted(): boolean {
    return this.id !== "";
  }

  private deadline(): { deadline: number } {
    return { deadline: Date.now() + this.callTimeoutMs };
  }

  /** Grants a new lease; returns its id (decimal string). */
  async grant(): Promise<string> {
    const sent = performance.now();
    const res = await this.client.leaseClient.leaseGrant({ TTL: this.ttlS, ID: 0 }, this.deadline());
    if (res.error) throw new Error(`lease grant: ${res.error}`);
    this.id = String(res.ID);
    this.validUntilMs = sent + this.ttlS * 1000;
    return this.id;
  }

  /** Takes over a lease granted by a previous run of this agent, if it still lives. */
  async resume(id: string): Promise<boolean> {
    const sent = performance.now();
    const res = await this.client.leaseClient.leaseTimeToLive({ ID: id }, this.deadline());
    // TimeToLive answers -1 for a lease that is gone; 0 only means "less than a second left".
    if (Number(res.TTL) < 0) return false;
    this.id = id;
    this.ttlS = Number(res.grantedTTL) || this.ttlS;
    // The lease may expire TTL after the previous run's last keepalive; renew at once.
    this.validUntilMs = sent;
    return this.renew();
  }

  private openStream(): Promise<KeepaliveStream> {
    return this.client.leaseClient.leaseKeepAlive().then((s) => {
      // Only this stream's own renewal is answered or failed by its events: an old stream's
      // late error must not reject a renewal written on a newer one.
      const take = () => {
        const w = this.waiting;
        if (w?.stream !== s) return undefined;
        this.waiting = undefined;
        return w.done;
      };
      const drop = (err: Error) => {
        if (this.stream === s) this.stream = undefined;
        take()?.(err);
      };
      s.on("data", (r) => take()?.(r));
      s.on("error", (err) => drop(err));
      s.on("end", () => drop(new Error("keepalive stream ended")));
      this.stream = s;
      return s;
    });
  }

  /** One keepalive. Returns false when etcd says the lease no longer exists; throws when unreachable. */
  async renew(): Promise<boolean> {
    try {
      return await this.renewOnce();
    } catch (err) {
      // The stream broke (its member went away): one more try on a new stream, which the
      // client opens on another member. A timeout is not retried.
      if (err instanceof KeepaliveTimeout) throw err;
      return this.renewOnce();
    }
  }

  private async renewOnce(): Promise<boolean> {
    if (!this.id) return false;
    const sent = performance.now();
    const stream = this.stream ?? (await this.openStream());
    const res = await new Promise<ILeaseKeepAliveResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        if (this.stream === stream) this.stream = undefined;
        stream.cancel();
        reject(new KeepaliveTimeout(`keepalive not acknowledged within ${this.callTimeoutMs} ms`));
      }, this.callTimeoutMs);
      this.waiting = {
        stream,
        done: (r) => {
          clearTimeout(timer);
          r instanceof Error ? reject(r) : resolve(r);
        },
      };
      stream.write({ ID: this.id });
    });
    if (Number(res.TTL) <= 0) {
      this.id = "";
      return false;
    }
    this.validUntilMs = sent + this.ttlS * 1000;
    return true;
  }

  /** Deletes the lease (clean shutdown: the host's keys vanish at once). */
  async revoke(): Promise<void> {
    if (!this.id) return;
    try {
      await this.client.leaseClient.leaseRevoke({ ID: this.id }, this.deadline());
    } catch {
      /* it expires by itself */
    }
    this.id = "";
    this.close();
  }

  close(): void {
    this.stream?.cancel();
    this.stream = undefined;
  }
}
