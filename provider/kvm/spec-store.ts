// The cluster spec document in etcd, read and changed by the Pulumi resources. Every change is a
// compare-and-swap on the key's revision, re-applied on conflict, so resources that Pulumi
// creates in parallel each change only their own part and never lose another's. A change is
// validated as a whole spec (the agents' own parser) before it is written: agents never see an
// invalid spec.
import type { Etcd3 } from "etcd3";
import { RetryableError, TerminalError } from "../core/errors";
import type { ClusterSpecInput } from "../runtime/core/spec";
import { tryParseSpec } from "../runtime/core/spec";
import { clusterPrefix, K } from "../runtime/store/keys";

/** The raw stored document (defaults not applied), exactly as Pulumi wrote it. */
export type RawSpec = ClusterSpecInput & {
  resources?: Record<string, unknown>;
  constraints?: Record<string, unknown>;
};

export interface StoredSpec {
  doc: RawSpec;
  revision: number;
}

export function specKey(cluster: string): string {
  return clusterPrefix(cluster) + K.spec;
}

function unreachable(cluster: string, err: unknown): RetryableError {
  return new RetryableError(
    `cluster ${cluster}: etcd unreachable: ${err instanceof Error ? err.message : String(err)}`,
    err,
  );
}

export async function readSpec(etcd: Etcd3, cluster: string): Promise<StoredSpec | undefined> {
  let res: Awaited<ReturnType<ReturnType<Etcd3["get"]>["exec"]>>;
  try {
    res = await etcd.get(specKey(cluster)).exec();
  } catch (err) {
    throw unreachable(cluster, err);
  }
  const kv = res.kvs[0];
  if (!kv) return undefined;
  try {
    return { doc: JSON.parse(kv.value.toString()) as RawSpec, revision: Number(kv.mod_revision) };
  } catch {
    throw new TerminalError(`cluster ${cluster}: the spec in etcd (${specKey(cluster)}) is not valid JSON`);
  }
}

export type Mutation = (current: RawSpec | undefined) => RawSpec | undefined;

/**
 * Applies `mutate` to the current document and writes the result if nobody changed it meanwhile
 * (retrying from a fresh read on conflict). `undefined` from `mutate` deletes the document.
 */
export async function updateSpec(
  etcd: Etcd3,
  cluster: string,
  subject: string,
  mutate: Mutation,
): Promise<RawSpec | undefined> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const current = await readSpec(etcd, cluster);
    const next = mutate(current ? structuredClone(current.doc) : undefined);
    if (next) {
      const r = tryParseSpec(next);
      if (!r.ok) {
        throw new TerminalError(
          `${subject}: the cluster spec would be invalid: ${r.issues.map((i) => `${i.property}: ${i.reason}`).join("; ")}`,
        );
      }
    }
    const key = specKey(cluster);
    const txn = etcd.if(key, "Mod", "==", current?.revision ?? 0);
    const op = next ? etcd.put(key).value(JSON.stringify(next)) : etcd.delete().key(key);
    let ok: boolean;
    try {
      ok = (await txn.then(op).commit()).succeeded;
    } catch (err) {
      throw unreachable(cluster, err);
    }
    if (ok) return next;
  }
  throw new RetryableError(
    `${subject}: the cluster spec kept changing under us (20 compare-and-swap conflicts)`,
  );
}

export function requireSpec(stored: StoredSpec | undefined, cluster: string, subject: string): StoredSpec {
  if (!stored) {
    throw new TerminalError(
      `${subject}: cluster ${cluster} has no spec in etcd (${specKey(cluster)}); create the kvm.Cluster first`,
    );
  }
  return stored;
}
