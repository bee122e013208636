// What an etcd failure means for the person running `pulumi up`. Only a store that cannot be
// reached (or did not answer in time) is worth retrying; bad credentials, missing permissions, a
// request over etcd's size limit or a refused request fail at once with what to do, instead of
// being retried four times and then shown as "unreachable" (review finding 11).
// The messages matched below are etcd 3.4's own (etcdserver/api/v3rpc/rpctypes), as the etcd3
// client passes them on; tests/integration/kvm/etcd-errors.test.ts provokes each on a real etcd.
import { RetryableError, TerminalError } from "../core/errors";
import { clusterPrefix } from "../runtime/store/keys";

/** etcd's default --max-request-bytes (1.5 MiB). */
export const ETCD_DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export type EtcdFailureKind =
  | "unreachable"
  | "auth-failed"
  | "auth-required"
  | "auth-not-enabled"
  | "permission-denied"
  | "too-large"
  | "refused";

function textOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sorts an etcd3 client error into what the user can do about it. */
export function etcdFailureKind(err: unknown): EtcdFailureKind {
  const name = err instanceof Error ? err.constructor.name : "";
  const msg = textOf(err);
  if (name === "EtcdAuthenticationFailedError" || msg.includes("authentication failed")) return "auth-failed";
  if (msg.includes("user name is empty")) return "auth-required";
  if (msg.includes("authentication is not enabled")) return "auth-not-enabled";
  if (name === "EtcdPermissionDeniedError" || msg.includes("permission denied")) return "permission-denied";
  if (msg.includes("request is too large") || name === "GRPCResourceExhastedError") return "too-large";
  // Unavailable, deadline exceeded, a closed connection, an expired auth token (the client
  // authenticates again), or anything without etcd's own verdict: the store may answer later.
  if (
    [
      "GRPCUnavailableError",
      "GRPCDeadlineExceededError",
      "GRPCCancelledError",
      "GRPCInternalError",
      "EtcdInvalidAuthTokenError",
      "ClientRuntimeError",
      "GRPCConnectFailedError",
    ].includes(name) ||
    !msg.includes("etcdserver:")
  ) {
    return "unreachable";
  }
  return "refused";
}

export interface EtcdWhere {
  /** Who asks, e.g. "vm web" or "cluster prod". */
  subject: string;
  cluster: string;
  /** The user name in use (never the password), for permission and authentication messages. */
  username?: string | undefined;
  /** The request limit the connection assumes (etcd.maxRequestBytes). */
  maxRequestBytes?: number | undefined;
}

/** The error to throw for an etcd3 failure: RetryableError only when etcd could not be reached. */
export function etcdError(where: EtcdWhere, err: unknown): RetryableError | TerminalError {
  const { subject, cluster } = where;
  const raw = textOf(err);
  const prefix = clusterPrefix(cluster);
  const user = where.username ? `user "${where.username}"` : "the configured user";
  switch (etcdFailureKind(err)) {
    case "unreachable":
      return new RetryableError(`${subject}: etcd of cluster ${cluster} unreachable: ${raw}`, err);
    case "auth-failed":
      return new TerminalError(
        `${subject}: etcd refused the credentials of ${user} (${raw}); check etcd.username and etcd.password ` +
          "(etcdctl user get <name> shows the user exists; etcdctl user passwd <name> resets the password)",
        err,
      );
    case "auth-required":
      return new TerminalError(
        `${subject}: etcd of cluster ${cluster} has authentication enabled; set etcd.username and etcd.password ` +
          `of a user with read-write access to the prefix ${prefix} (${raw})`,
        err,
      );
    case "auth-not-enabled":
      return new TerminalError(
        `${subject}: etcd.username is set, but authentication is not enabled on this etcd (${raw}); ` +
          "remove etcd.username/etcd.password, or enable it (etcdctl auth enable)",
        err,
      );
    case "permission-denied":
      return new TerminalError(
        `${subject}: etcd denied ${user} access to ${prefix} (${raw}); grant its role read-write on that prefix: ` +
          `etcdctl role grant-permission <role> --prefix=true readwrite ${prefix}`,
        err,
      );
    case "too-large": {
      const limit = where.maxRequestBytes ?? ETCD_DEFAULT_MAX_REQUEST_BYTES;
      return new TerminalError(
        `${subject}: etcd refused the write of cluster ${cluster}'s spec as too large (${raw}); etcd's ` +
          `--max-request-bytes (default 1.5 MiB; this connection assumes ${formatBytes(limit)}) bounds the whole ` +
          "spec, every VM's domain XML included: shrink the domain XML, split the VMs over several clusters, or " +
          "raise --max-request-bytes on every etcd member and set etcd.maxRequestBytes to match",
        err,
      );
    }
    case "refused":
      return new TerminalError(`${subject}: etcd of cluster ${cluster} refused the request: ${raw}`, err);
  }
}
