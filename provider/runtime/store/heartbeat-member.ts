// One etcd member as the heartbeat sees it: ONE raw gRPC channel (no etcd3 connection pool), on
// which the member's Lease, KV and Auth clients are multiplexed, and ONE long-lived
// LeaseKeepAlive stream. Why raw channels rather than one etcd3 client per endpoint:
// - etcd3 routes a stream error into markFailed(), whose resetAllServices() closes every client
//   of that member, and its circuit breaker then refuses the member for a while; here an error
//   only ends the stream it happened on, and only that stream is reopened (with a backoff).
// - etcd3's Authenticator starts at hosts[0] and opens a new Auth client (a channel) on every
//   attempt, which it never closes (review L8). Here each member authenticates on its own
//   channel, independently of the others, and a re-authentication opens nothing new.
// - Responses on one stream come back in request order (etcd's keepalive handler is a loop:
//   receive, renew, send), so each stream keeps the send times of its unanswered requests in a
//   FIFO and an answer is matched with the oldest one. The FIFO belongs to its stream: a stream
//   that ends takes its own requests with it and cannot touch a newer stream's (review L5).
// - A stream is never cancelled because it is slow. But etcd handles one stream's requests one
//   at a time, and a follower forwards each renewal to the leader it knows over HTTP: when that
//   leader is unreachable (stopped, powered off, partitioned; not merely killed, which refuses
//   at once) the forward hangs until etcd's request timeout (5 s + 2 election timeouts) and
//   every later renewal on that stream waits behind it, long after a new leader exists
//   (measured: a 2 s lease lost, tests/integration/runtime/heartbeat-cluster.test.ts). So when
//   the current stream's oldest unanswered request is older than `hedgeAfterMs`, new renewals
//   go on an ADDITIONAL stream to the same member (at most `maxStreams` per member); the old
//   stream stays open for its late answers, and is half-closed once it has none left.
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { StoreTls } from "./client";
import { decodeKeepaliveResponse, encodeKeepaliveRequest } from "./keepalive-codec";

export interface KeepaliveRequest {
  leaseId: string;
  /** Monotonic ms when the request was written to the stream. */
  sentAt: number;
}

export interface MemberEvents {
  /** An answer to `req` on this member's stream; ttlS <= 0 means the lease does not exist. */
  ack(member: EtcdMember, req: KeepaliveRequest, ttlS: number): void;
  log(level: "debug" | "info" | "warn" | "error", message: string): void;
}

export interface MemberOptions {
  endpoint: string;
  tls?: StoreTls;
  auth?: { username: string; password: string };
  now: () => number;
  /** Deadline of a unary call (grant, put, revoke, time-to-live, authenticate). */
  callTimeoutMs: number;
  /** Unanswered requests kept per stream; past it the member gets no new ones until it answers. */
  maxInFlight: number;
  /** Open another stream when the current one's oldest unanswered request is this old. */
  hedgeAfterMs: number;
  /** Most streams open at once to one member. */
  maxStreams: number;
}

type Unary = (
  req: object,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: grpc.requestCallback<unknown>,
) => void;
type ServiceClient = grpc.Client & Record<string, Unary>;
type KeepaliveCall = grpc.ClientDuplexStream<{ ID: string }, { ID: string; TTL: string }>;
type LeaseClient = ServiceClient & { LeaseKeepAlive(md: grpc.Metadata): KeepaliveCall };

interface EtcdServices {
  Lease: grpc.ServiceClientConstructor;
  KV: grpc.ServiceClientConstructor;
  Auth: grpc.ServiceClientConstructor;
}

let services: EtcdServices | undefined;

/** etcd's API as etcd3 ships it (the same proto the client library uses). */
function etcdServices(): EtcdServices {
  if (!services) {
    const proto = path.join(path.dirname(require.resolve("etcd3/package.json")), "proto", "rpc.proto");
    const def = protoLoader.loadSync(proto, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { etcdserverpb: EtcdServices };
    const lease = pkg.etcdserverpb.Lease.service;
    services = {
      ...pkg.etcdserverpb,
      // The keepalive stream carries 2 x members messages per round: its two tiny messages
      // get a codec of their own (keepalive-codec.ts); every other method keeps proto-loader's.
      Lease: grpc.makeGenericClientConstructor(
        {
          ...lease,
          LeaseKeepAlive: {
            ...lease["LeaseKeepAlive"]!,
            requestSerialize: encodeKeepaliveRequest,
            responseDeserialize: decodeKeepaliveResponse,
          },
        },
        "Lease", // as loadPackageDefinition names it
      ),
    };
  }
  return services;
}

/** gRPC codes after which another member may succeed (the member is down, slow, or has no leader). */
export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: number }).code;
  return (
    code === grpc.status.UNAVAILABLE ||
    code === grpc.status.DEADLINE_EXCEEDED ||
    code === grpc.status.CANCELLED ||
    code === grpc.status.UNKNOWN ||
    code === grpc.status.RESOURCE_EXHAUSTED ||
    code === grpc.status.INTERNAL ||
    code === grpc.status.UNAUTHENTICATED
  );
}

/** etcd's answer to a put (or revoke) naming a lease it does not have. */
export function isLeaseNotFound(err: unknown): boolean {
  const e = err as { code?: number; details?: string; message?: string };
  return e.code === grpc.status.NOT_FOUND && /lease not found/.test(e.details ?? e.message ?? "");
}

class KeepaliveStream {
  /** Unanswered requests, oldest first. */
  readonly inFlight: KeepaliveRequest[] = [];
  answered = 0;
  ended = false;
  constructor(readonly call: KeepaliveCall) {}
}

export class EtcdMember {
  readonly address: string;
  /** Monotonic ms of the last answer (any kind) on a keepalive stream; orders unary attempts. */
  lastAnswerAt = Number.NEGATIVE_INFINITY;
  streamsOpened = 0;
  private readonly lease: LeaseClient;
  private readonly kv: ServiceClient;
  private readonly authClient: ServiceClient | undefined;
  private token: string | undefined;
  private authenticating: Promise<string> | undefined;
  /** Open streams, oldest first; new requests go on the last one. */
  private streams: KeepaliveStream[] = [];
  private opening = false;
  private reopenAt = 0;
  private backoffMs = 0;
  private closed = false;

  constructor(
    private readonly o: MemberOptions,
    private readonly events: MemberEvents,
  ) {
    const secure = o.endpoint.startsWith("https:") || o.tls !== undefined;
    this.address = o.endpoint.replace(/^https?:\/\//, "").replace(/\/+$/, "");
    const creds = secure
      ? grpc.credentials.createSsl(
          o.tls ? fs.readFileSync(o.tls.caFile) : null,
          o.tls?.keyFile ? fs.readFileSync(o.tls.keyFile) : null,
          o.tls?.certFile ? fs.readFileSync(o.tls.certFile) : null,
        )
      : grpc.credentials.createInsecure();
    const svc = etcdServices();
    this.lease = new svc.Lease(this.address, creds, {
      "grpc.keepalive_time_ms": 10000, // etcd refuses pings more often than every 5 s
      "grpc.keepalive_timeout_ms": 2000,
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1000,
      // a channel of its own, not shared with other clients of the same address
      "grpc.use_local_subchannel_pool": 1,
    }) as unknown as LeaseClient;
    const channelOverride = this.lease.getChannel();
    this.kv = new svc.KV(this.address, creds, { channelOverride }) as unknown as ServiceClient;
    this.authClient = o.auth
      ? (new svc.Auth(this.address, creds, { channelOverride }) as unknown as ServiceClient)
      : undefined;
  }

  /** Unanswered keepalive requests on all streams. */
  get inFlight(): number {
    return this.streams.reduce((n, s) => n + s.inFlight.length, 0);
  }

  get openStreams(): number {
    return this.streams.length;
  }

  private get active(): KeepaliveStream | undefined {
    return this.streams[this.streams.length - 1];
  }

  /**
   * Writes one keepalive per lease id on this member's stream (opening it if needed). Returns
   * false when nothing was written: the stream is (re)opening, backing off, or the member has
   * `maxInFlight` requests unanswered (it is not cancelled for being slow: a late answer is
   * still proof, and etcd itself ends a renewal it cannot forward after its request timeout).
   */
  send(leaseIds: string[], sentAt: number): boolean {
    if (this.closed || leaseIds.length === 0) return false;
    let s = this.active ?? this.open();
    if (!s) return false;
    const oldest = s.inFlight[0];
    if (oldest && sentAt - oldest.sentAt >= this.o.hedgeAfterMs && this.streams.length < this.o.maxStreams) {
      const fresh = this.open();
      if (fresh) {
        this.events.log(
          "info",
          `etcd ${this.address}: no answer for ${Math.round(sentAt - oldest.sentAt)} ms; renewals go on an additional stream (${this.streams.length} open)`,
        );
        s = fresh;
      }
    }
    if (s.inFlight.length + leaseIds.length > this.o.maxInFlight) return false;
    try {
      for (const leaseId of leaseIds) {
        s.inFlight.push({ leaseId, sentAt });
        s.call.write({ ID: leaseId });
      }
    } catch (err) {
      this.streamDown(s, err);
      return false;
    }
    return true;
  }

  /** Opens the stream now if no authentication is pending; otherwise starts it and returns undefined. */
  private open(): KeepaliveStream | undefined {
    if (this.opening || this.o.now() < this.reopenAt) return undefined;
    if (this.o.auth && this.token === undefined) {
      this.opening = true;
      this.authenticate()
        .then(() => {
          this.opening = false;
          if (!this.closed) this.openWith(this.metadata());
        })
        .catch((err) => {
          this.opening = false;
          this.backoff(`authenticate: ${describe(err)}`);
        });
      return undefined;
    }
    return this.openWith(this.metadata());
  }

  private openWith(md: grpc.Metadata): KeepaliveStream {
    const call = this.lease.LeaseKeepAlive(md);
    const s = new KeepaliveStream(call);
    this.streams.push(s);
    this.streamsOpened++;
    call.on("data", (res: { ID: string; TTL: string }) => {
      const req = s.inFlight.shift();
      this.lastAnswerAt = this.o.now();
      if (s.answered++ === 0) this.backoffMs = 0;
      // An older stream with nothing left to answer: half-close it (nothing is cancelled).
      if (s !== this.active && s.inFlight.length === 0 && !s.ended) {
        s.ended = true;
        this.streams = this.streams.filter((x) => x !== s);
        call.end();
      }
      if (!req) {
        this.events.log(
          "warn",
          `etcd ${this.address}: a keepalive answer without a request (lease ${res.ID})`,
        );
        return;
      }
      if (String(res.ID) !== req.leaseId) {
        // Cannot happen with etcd (one answer per request, in order); never guess.
        this.events.log(
          "warn",
          `etcd ${this.address}: keepalive answer for lease ${res.ID}, expected ${req.leaseId}; stream reopened`,
        );
        this.streamDown(s, new Error("keepalive answers out of order"));
        call.cancel();
        return;
      }
      this.events.ack(this, req, Number(res.TTL));
    });
    call.on("error", (err: grpc.ServiceError) => this.streamDown(s, err));
    call.on("end", () => this.streamDown(s, new Error("keepalive stream ended by the server")));
    return s;
  }

  private streamDown(s: KeepaliveStream, err: unknown): void {
    if (s.ended) return;
    s.ended = true;
    // The stream's own unanswered requests go with it; they never count, nor fail anything else.
    const wasActive = s === this.active;
    this.streams = this.streams.filter((x) => x !== s);
    if ((err as { code?: number }).code === grpc.status.UNAUTHENTICATED) this.token = undefined;
    if (this.closed) return;
    if (wasActive) this.backoff(`keepalive stream: ${describe(err)}`);
    else this.events.log("warn", `etcd ${this.address}: keepalive stream: ${describe(err)}`);
  }

  private backoff(why: string): void {
    this.backoffMs = Math.min(2000, this.backoffMs ? this.backoffMs * 2 : 100);
    this.reopenAt = this.o.now() + this.backoffMs;
    this.events.log("warn", `etcd ${this.address}: ${why}; reopening in ${this.backoffMs} ms`);
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token !== undefined) md.set("token", this.token);
    return md;
  }

  /** Authenticates on this member's own channel; concurrent callers share one attempt. */
  private authenticate(): Promise<string> {
    const auth = this.o.auth;
    if (!auth || !this.authClient) return Promise.resolve("");
    const client = this.authClient;
    this.authenticating ??= new Promise<string>((resolve, reject) => {
      client.Authenticate!(
        { name: auth.username, password: auth.password },
        new grpc.Metadata(),
        { deadline: Date.now() + this.o.callTimeoutMs },
        (err, res) => (err ? reject(err) : resolve(String((res as { token: string }).token))),
      );
    })
      .then((token) => {
        this.token = token;
        return token;
      })
      .finally(() => {
        this.authenticating = undefined;
      });
    return this.authenticating;
  }

  /** One unary call on this member, with the deadline; re-authenticates once on an invalid token. */
  async unary<T>(service: "Lease" | "KV", method: string, req: object): Promise<T> {
    const client = service === "Lease" ? this.lease : this.kv;
    for (let attempt = 0; ; attempt++) {
      if (this.o.auth && this.token === undefined) await this.authenticate();
      try {
        return await new Promise<T>((resolve, reject) => {
          client[method]!(
            req,
            this.metadata(),
            { deadline: Date.now() + this.o.callTimeoutMs },
            (err, res) => (err ? reject(err) : resolve(res as T)),
          );
        });
      } catch (err) {
        if (this.o.auth && attempt === 0 && (err as { code?: number }).code === grpc.status.UNAUTHENTICATED) {
          this.token = undefined;
          continue;
        }
        throw err;
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams) {
      s.ended = true;
      s.inFlight.length = 0;
      s.call.cancel();
    }
    this.streams = [];
    this.lease.close(); // the one channel; kv and auth ride on it
  }
}

export function describe(err: unknown): string {
  const e = err as { details?: string; message?: string; code?: number };
  const text = e.details || e.message || String(err);
  return e.code !== undefined ? `${grpc.status[e.code] ?? e.code}: ${text}` : text;
}
