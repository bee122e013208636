// Connection options for etcd (plain, TLS, user/password) and the etcd3 client built from them,
// with per-call deadlines so an unreachable store is noticed within `callTimeoutMs`.
import * as fs from "node:fs";
import { ConsecutiveBreaker, ConstantBackoff, circuitBreaker, handleWhen, noop, retry } from "cockatiel";
import { Etcd3, GRPCDeadlineExceededError, isRecoverableError } from "etcd3";

export interface StoreTls {
  /** PEM file of the CA that signed etcd's server certificate. */
  caFile: string;
  /** Client certificate and key (PEM files) for mutual TLS. */
  certFile?: string;
  keyFile?: string;
}

export interface StoreOptions {
  endpoints: string[];
  cluster: string;
  tls?: StoreTls;
  auth?: { username: string; password: string };
  /** Deadline of every unary call; past it the store counts as unreachable. Default 500 ms. */
  callTimeoutMs?: number;
}

export function createEtcdClient(o: StoreOptions): Etcd3 {
  if (o.endpoints.length === 0) throw new Error(`cluster ${o.cluster}: no etcd endpoints given`);
  const timeout = o.callTimeoutMs ?? 500;
  const credentials = o.tls
    ? {
        rootCertificate: fs.readFileSync(o.tls.caFile),
        ...(o.tls.certFile ? { certChain: fs.readFileSync(o.tls.certFile) } : {}),
        ...(o.tls.keyFile ? { privateKey: fs.readFileSync(o.tls.keyFile) } : {}),
      }
    : undefined;
  return new Etcd3({
    hosts: o.endpoints,
    ...(credentials ? { credentials } : {}),
    ...(o.auth ? { auth: { username: o.auth.username, password: o.auth.password } } : {}),
    dialTimeout: timeout,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
    faultHandling: {
      // A member that is down answers at once (refused, reset): try the next member within the
      // same call. A deadline is not retried: the agent's loop retries on its own clock, and a
      // call must not outlast callTimeoutMs by much. A member that fails three calls in a row
      // is skipped for 500 ms (the default 5 s would outlast a healed partition).
      global:
        o.endpoints.length > 1
          ? retry(
              handleWhen((err) => isRecoverableError(err) && !(err instanceof GRPCDeadlineExceededError)),
              { maxAttempts: o.endpoints.length - 1, backoff: new ConstantBackoff(0) },
            )
          : noop,
      host: () =>
        circuitBreaker(handleWhen(isRecoverableError), {
          halfOpenAfter: 500,
          breaker: new ConsecutiveBreaker(3),
        }),
    },
    grpcOptions: {
      "grpc.keepalive_time_ms": 10000, // etcd refuses pings more often than every 5 s
      "grpc.keepalive_timeout_ms": 2000,
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 500,
    },
  });
}
