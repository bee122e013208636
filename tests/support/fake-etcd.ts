// A fake etcd cluster of N members on loopback, built on @grpc/grpc-js with etcd3's own proto:
// one shared lease table and key space, and per member the knobs a heartbeat test needs:
// - keepAlive "answer" | "silent" (a follower waiting for a leader: never answers) | "hold"
//   (answers nothing until release(), then every held request in order, like a follower once a
//   new leader exists);
// - ttlZero: answer TTL 0 (the lease does not exist) to every renewal;
// - authDelayMs: Authenticate takes this long (a raft request during an election).
// Like etcd, a keepalive stream handles its requests one at a time, in order.
// Counters per member: streams opened / cancelled by the client, keepalives received, answers.
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

type Handler = grpc.UntypedHandleCall;
interface Services {
  Lease: grpc.ServiceClientConstructor;
  KV: grpc.ServiceClientConstructor;
  Auth: grpc.ServiceClientConstructor;
}

function etcdServices(): Services {
  const proto = path.join(path.dirname(require.resolve("etcd3/package.json")), "proto", "rpc.proto");
  const def = protoLoader.loadSync(proto, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return (grpc.loadPackageDefinition(def) as unknown as { etcdserverpb: Services }).etcdserverpb;
}

export interface FakeLease {
  ttlS: number;
  keys: Set<string>;
  /** Renewals that reached the "leader" (answered with TTL > 0). */
  renewals: number;
}

export interface FakeKeepalive {
  member: number;
  leaseId: string;
  /** performance.now() when the member received it. */
  at: number;
}

function err(code: grpc.status, details: string): Partial<grpc.ServiceError> {
  return { code, details, message: details };
}

export class FakeEtcdMember {
  keepAlive: "answer" | "silent" | "hold" = "answer";
  ttlZero = false;
  authDelayMs = 0;
  /** Extra delay before each answer once released (a follower's poll for the new leader). */
  answerDelayMs = 0;
  readonly stats = {
    streamsOpened: 0,
    streamsCancelled: 0,
    /** Streams the client ended cleanly (an older stream with nothing left to answer). */
    streamsHalfClosed: 0,
    keepalives: 0,
    answered: 0,
    authenticates: 0,
    /** Client address of each Authenticate and of each keepalive stream (same address = same connection). */
    authPeers: [] as string[],
    streamPeers: [] as string[],
  };
  endpoint = "";
  private waiters: Array<() => void> = [];
  private readonly calls = new Map<grpc.ServerDuplexStream<unknown, unknown>, { wedged: boolean }>();
  readonly server = new grpc.Server();

  constructor(
    readonly index: number,
    private readonly cluster: FakeEtcd,
  ) {}

  /** Ends the hold: every held request is answered, in order per stream. */
  release(): void {
    this.keepAlive = "answer";
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Ends every open keepalive stream with an error (the member restarted, or dropped the client). */
  dropStreams(code = grpc.status.UNAVAILABLE): void {
    for (const c of this.calls.keys()) c.emit("error", err(code, "fake: stream dropped"));
    this.calls.clear();
  }

  /**
   * The streams open now never answer again (a follower whose in-flight forward to a stopped
   * leader hangs until etcd's request timeout: one stream's requests are handled in order);
   * streams opened later answer.
   */
  wedgeOpenStreams(): void {
    for (const st of this.calls.values()) st.wedged = true;
  }

  /** Resolves when a request may be answered; never for "silent" or a wedged stream. */
  private gate(st: { wedged: boolean }): Promise<void> {
    if (st.wedged) return new Promise(() => {});
    if (this.keepAlive === "answer") return Promise.resolve();
    return new Promise((resolve) => {
      if (this.keepAlive === "hold") this.waiters.push(resolve);
      // silent: never
    });
  }

  handlers(): Record<string, Record<string, Handler>> {
    const c = this.cluster;
    const hdr = () => c.header(this.index);
    const authed = (md: grpc.Metadata): boolean => !c.auth || c.tokens.has(String(md.get("token")[0] ?? ""));
    const invalidToken = err(grpc.status.UNAUTHENTICATED, "etcdserver: invalid auth token");
    return {
      Lease: {
        LeaseGrant: (
          call: grpc.ServerUnaryCall<{ TTL: string; ID: string }, unknown>,
          cb: grpc.sendUnaryData<unknown>,
        ) => {
          if (!authed(call.metadata)) return cb(invalidToken);
          const ttlS = Math.max(Number(call.request.TTL), c.minTtlS);
          const id = String(++c.lastLeaseId);
          c.leases.set(id, { ttlS, keys: new Set(), renewals: 0 });
          c.grants.push(id);
          c.failPuts = c.failPutsAfterGrant;
          cb(null, { header: hdr(), ID: id, TTL: String(ttlS), error: "" });
        },
        LeaseRevoke: (
          call: grpc.ServerUnaryCall<{ ID: string }, unknown>,
          cb: grpc.sendUnaryData<unknown>,
        ) => {
          if (!authed(call.metadata)) return cb(invalidToken);
          if (!c.expire(String(call.request.ID)))
            return cb(err(grpc.status.NOT_FOUND, "etcdserver: requested lease not found"));
          c.revoked.push(String(call.request.ID));
          cb(null, { header: hdr() });
        },
        LeaseTimeToLive: (
          call: grpc.ServerUnaryCall<{ ID: string }, unknown>,
          cb: grpc.sendUnaryData<unknown>,
        ) => {
          if (!authed(call.metadata)) return cb(invalidToken);
          const l = c.leases.get(String(call.request.ID));
          cb(null, {
            header: hdr(),
            ID: call.request.ID,
            TTL: l ? String(l.ttlS) : "-1",
            grantedTTL: l ? String(l.ttlS) : "0",
            keys: [],
          });
        },
        LeaseLeases: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
          cb(null, { header: hdr(), leases: [...c.leases.keys()].map((ID) => ({ ID })) }),
        LeaseKeepAlive: (call: grpc.ServerDuplexStream<{ ID: string }, unknown>) => {
          this.stats.streamsOpened++;
          this.stats.streamPeers.push(call.getPeer());
          if (c.checkStreamTokens && !authed(call.metadata)) {
            call.emit("error", invalidToken);
            return;
          }
          const st = { wedged: false };
          this.calls.set(call, st);
          const queue: string[] = [];
          let busy = false;
          let open = true;
          const pump = async () => {
            if (busy) return;
            busy = true;
            while (queue.length > 0 && open) {
              await this.gate(st);
              if (this.answerDelayMs > 0) await new Promise((r) => setTimeout(r, this.answerDelayMs));
              const id = queue.shift()!;
              if (!open) break;
              const l = c.leases.get(id);
              const ttl = this.ttlZero || !l ? 0 : l.ttlS;
              if (l && ttl > 0) l.renewals++;
              call.write({ header: hdr(), ID: id, TTL: String(ttl) });
              this.stats.answered++;
            }
            busy = false;
          };
          call.on("data", (req: { ID: string }) => {
            this.stats.keepalives++;
            c.keepalives.push({ member: this.index, leaseId: String(req.ID), at: performance.now() });
            queue.push(String(req.ID));
            void pump();
          });
          let halfClosed = false;
          call.on("cancelled", () => {
            open = false;
            // grpc-js emits "cancelled" after a clean half-close too; count only real cancels.
            if (!halfClosed) this.stats.streamsCancelled++;
            this.calls.delete(call);
          });
          call.on("end", () => {
            halfClosed = true;
            this.stats.streamsHalfClosed++;
            open = false;
            this.calls.delete(call);
            call.end();
          });
          call.on("error", () => {
            open = false;
          });
        },
      },
      KV: {
        Put: (
          call: grpc.ServerUnaryCall<{ key: Buffer; value: Buffer; lease: string }, unknown>,
          cb: grpc.sendUnaryData<unknown>,
        ) => {
          if (!authed(call.metadata)) return cb(invalidToken);
          const key = call.request.key.toString();
          c.puts.push(key);
          if (c.failPuts > 0) {
            c.failPuts--;
            return cb(err(grpc.status.UNAVAILABLE, "etcdserver: request timed out"));
          }
          const lease = String(call.request.lease);
          if (lease !== "0") {
            const l = c.leases.get(lease);
            if (!l) return cb(err(grpc.status.NOT_FOUND, "etcdserver: requested lease not found"));
            l.keys.add(key);
          }
          c.kv.set(key, { value: call.request.value.toString(), lease });
          c.revision++;
          cb(null, { header: hdr() });
        },
        Range: (call: grpc.ServerUnaryCall<{ key: Buffer }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
          if (!authed(call.metadata)) return cb(invalidToken);
          const key = call.request.key.toString();
          const v = c.kv.get(key);
          cb(null, {
            header: hdr(),
            kvs: v ? [{ key: Buffer.from(key), value: Buffer.from(v.value), lease: v.lease }] : [],
            count: v ? "1" : "0",
          });
        },
      },
      Auth: {
        Authenticate: (
          call: grpc.ServerUnaryCall<{ name: string; password: string }, unknown>,
          cb: grpc.sendUnaryData<unknown>,
        ) => {
          this.stats.authenticates++;
          this.stats.authPeers.push(call.getPeer());
          setTimeout(() => {
            if (!c.auth || call.request.name !== c.auth.username || call.request.password !== c.auth.password)
              return cb(
                err(
                  grpc.status.INVALID_ARGUMENT,
                  "etcdserver: authentication failed, invalid user ID or password",
                ),
              );
            const token = `tok-${this.index}-${++c.tokenSeq}`;
            c.tokens.add(token);
            cb(null, { header: hdr(), token });
          }, this.authDelayMs);
        },
      },
    };
  }
}

export class FakeEtcd {
  readonly members: FakeEtcdMember[] = [];
  readonly leases = new Map<string, FakeLease>();
  readonly kv = new Map<string, { value: string; lease: string }>();
  /** Ids of every lease granted, in order. */
  readonly grants: string[] = [];
  readonly revoked: string[] = [];
  readonly puts: string[] = [];
  readonly keepalives: FakeKeepalive[] = [];
  revision = 1;
  lastLeaseId = 7000;
  /** etcd raises a TTL below its minimum (1.5 x election timeout) to the minimum. */
  minTtlS = 1;
  /** Every LeaseGrant arms this many failures of the Puts that follow it. */
  failPutsAfterGrant = 0;
  failPuts = 0;
  auth: { username: string; password: string } | undefined;
  /** Refuse to open a keepalive stream without a valid token (etcd itself does not check). */
  checkStreamTokens = false;
  readonly tokens = new Set<string>();
  tokenSeq = 0;

  private constructor() {}

  static async start(
    n: number,
    o: { auth?: { username: string; password: string }; checkStreamTokens?: boolean } = {},
  ): Promise<FakeEtcd> {
    const c = new FakeEtcd();
    c.auth = o.auth;
    c.checkStreamTokens = o.checkStreamTokens ?? false;
    const svc = etcdServices();
    for (let i = 0; i < n; i++) {
      const m = new FakeEtcdMember(i, c);
      const h = m.handlers();
      m.server.addService(svc.Lease.service, h.Lease!);
      m.server.addService(svc.KV.service, h.KV!);
      m.server.addService(svc.Auth.service, h.Auth!);
      const port = await new Promise<number>((resolve, reject) =>
        m.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      m.endpoint = `http://127.0.0.1:${port}`;
      c.members.push(m);
    }
    return c;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  header(member: number) {
    return {
      cluster_id: "1",
      member_id: String(member + 1),
      revision: String(this.revision),
      raft_term: "2",
    };
  }

  /** Deletes a lease and its keys (expiry or revoke); false if there was none. */
  expire(id: string): boolean {
    const l = this.leases.get(id);
    if (!l) return false;
    for (const k of l.keys) if (this.kv.get(k)?.lease === id) this.kv.delete(k);
    this.leases.delete(id);
    return true;
  }

  invalidateTokens(): void {
    this.tokens.clear();
  }

  keepalivesFor(leaseId: string): FakeKeepalive[] {
    return this.keepalives.filter((k) => k.leaseId === leaseId);
  }

  stop(): void {
    for (const m of this.members) {
      m.release();
      m.server.forceShutdown();
    }
  }
}
