// The cluster spec document in etcd, read and changed by the Pulumi resources. Every change is a
// compare-and-swap on the key's revision, re-applied on conflict, so resources that Pulumi
// creates in parallel each change only their own part and never lose another's. A change is
// validated as a whole spec (the agents' own parser) and its size checked against etcd's request
// limit before it is written: agents never see an invalid spec, and etcd never sees a write it
// must refuse.
import { isDeepStrictEqual } from "node:util";
import type { z } from "zod";
import { TerminalError } from "../core/errors";
import type { ClusterSpecInput } from "../runtime/core/spec";
import { tryParseSpec } from "../runtime/core/spec";
import { clusterPrefix, K } from "../runtime/store/keys";
import { etcdFor } from "./connection";
import type { EtcdConnection } from "./connection.schema";
import { ETCD_DEFAULT_MAX_REQUEST_BYTES, etcdError, formatBytes } from "./etcd-errors";

/** The raw stored document (defaults not applied), exactly as Pulumi wrote it. */
export type RawSpec = ClusterSpecInput & {
  resources?: Record<string, unknown>;
  constraints?: Record<string, unknown>;
};

export interface StoredSpec {
  doc: RawSpec;
  revision: number;
}

/** Which cluster's spec, through which connection, and who asks (for messages). */
export interface SpecTarget {
  etcd: EtcdConnection;
  cluster: string;
  subject: string;
}

export function specKey(cluster: string): string {
  return clusterPrefix(cluster) + K.spec;
}

function where(t: SpecTarget) {
  return {
    subject: t.subject,
    cluster: t.cluster,
    username: t.etcd.username,
    maxRequestBytes: t.etcd.maxRequestBytes,
  };
}

/** Runs one etcd request; its failure becomes retryable only when etcd could not be reached. */
export async function etcdCall<T>(t: SpecTarget, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw etcdError(where(t), err);
  }
}

/**
 * Why writing `doc` would exceed etcd's request limit, if it would. The txn carries the key
 * twice (compare and put) and some framing; 512 bytes covers the framing with room to spare.
 */
export function specSizeProblem(t: SpecTarget, doc: RawSpec): string | undefined {
  const limit = t.etcd.maxRequestBytes ?? ETCD_DEFAULT_MAX_REQUEST_BYTES;
  const bytes = Buffer.byteLength(JSON.stringify(doc));
  const request = bytes + 2 * Buffer.byteLength(specKey(t.cluster)) + 512;
  if (request <= limit) return undefined;
  const biggest = Object.entries(doc.resources ?? {})
    .map(([n, r]) => [n, Buffer.byteLength(JSON.stringify(r))] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([n, b]) => `${n} ${formatBytes(b)}`);
  return (
    `the spec of cluster ${t.cluster} would be ${formatBytes(bytes)}, one etcd value (${specKey(t.cluster)}), ` +
    `over etcd's request limit of ${formatBytes(limit)} (--max-request-bytes, default 1.5 MiB)` +
    (biggest.length ? `; largest entries: ${biggest.join(", ")}` : "") +
    "; shrink the domain XML, split the VMs over several clusters, or raise --max-request-bytes on every " +
    "etcd member and set etcd.maxRequestBytes to match"
  );
}

export async function readSpec(t: SpecTarget): Promise<StoredSpec | undefined> {
  const etcd = etcdFor(t.etcd, t.subject);
  const res = await etcdCall(t, () => etcd.get(specKey(t.cluster)).exec());
  const kv = res.kvs[0];
  if (!kv) return undefined;
  try {
    return { doc: JSON.parse(kv.value.toString()) as RawSpec, revision: Number(kv.mod_revision) };
  } catch {
    throw new TerminalError(
      `${t.subject}: the spec of cluster ${t.cluster} in etcd (${specKey(t.cluster)}) is not valid JSON; ` +
        "restore it (etcdctl get --rev) or delete it and run pulumi up with adopt: false",
    );
  }
}

export type Mutation = (current: RawSpec | undefined) => RawSpec | undefined;

const CAS_ATTEMPTS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Applies `mutate` to the current document and writes the result if nobody changed it meanwhile
 * (retrying from a fresh read on conflict, with jittered backoff so parallel writers spread
 * out). `undefined` from `mutate` deletes the document; a result equal to the current document
 * writes nothing, so re-running a mutation that already happened is a no-op.
 */
export async function updateSpec(
  t: SpecTarget,
  mutate: Mutation,
  attempts = CAS_ATTEMPTS,
): Promise<RawSpec | undefined> {
  const etcd = etcdFor(t.etcd, t.subject);
  const key = specKey(t.cluster);
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const current = await readSpec(t);
    const next = mutate(current ? structuredClone(current.doc) : undefined);
    if (isDeepStrictEqual(next, current?.doc)) return next;
    if (next) {
      const r = tryParseSpec(next);
      if (!r.ok) {
        throw new TerminalError(
          `${t.subject}: the spec of cluster ${t.cluster} would be invalid: ` +
            r.issues.map((i) => `${i.property}: ${i.reason}`).join("; "),
        );
      }
      const tooBig = specSizeProblem(t, next);
      if (tooBig) throw new TerminalError(`${t.subject}: ${tooBig}`);
    }
    const txn = etcd.if(key, "Mod", "==", current?.revision ?? 0);
    const op = next ? etcd.put(key).value(JSON.stringify(next)) : etcd.delete().key(key);
    const ok = await etcdCall(t, async () => (await txn.then(op).commit()).succeeded);
    if (ok) return next;
    await sleep(Math.min(25 * 2 ** Math.min(attempt, 6), 1000) * (0.5 + Math.random()));
  }
  // Terminal: the outer retry would only add more writers to the same contention.
  throw new TerminalError(
    `${t.subject}: the spec of cluster ${t.cluster} changed under every one of ${attempts} compare-and-swap ` +
      "attempts (another writer is busy on it); run pulumi up again, with a lower --parallel if many " +
      "resources of this cluster change at once",
  );
}

/**
 * Parses what read() found back into the resource's inputs. A value edited by hand into a shape
 * the inputs cannot hold fails refresh with the fields and what to do, not a raw ZodError.
 */
export function parseStored<S extends z.ZodType>(
  schema: S,
  value: unknown,
  t: SpecTarget,
  what: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  throw new TerminalError(
    `${t.subject}: ${what} in etcd (${specKey(t.cluster)}) was changed outside Pulumi into something its inputs ` +
      `cannot hold (${issues}); fix it with etcdctl, or run pulumi up without --refresh to write the program's settings back`,
  );
}

export function requireSpec(stored: StoredSpec | undefined, t: SpecTarget): StoredSpec {
  if (!stored) {
    throw new TerminalError(
      `${t.subject}: cluster ${t.cluster} has no spec in etcd (${specKey(t.cluster)}); create the kvm.Cluster first`,
    );
  }
  return stored;
}
