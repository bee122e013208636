// PropertyCollector reads: one RetrievePropertiesEx round trip per read.
import { NotFoundError } from "./faults";
import type { VimClient } from "./session";
import { child, list, type MoRef, moref, ref, str } from "./xml";

const inFlight = new WeakMap<VimClient, Map<string, Promise<Record<string, unknown>>>>();

/**
 * Reads properties of one object: path -> parsed value node. Throws NotFoundError when it is gone.
 * Concurrent reads of the same properties of the same object share one round trip (a refresh of
 * 200 VM overrides of one cluster reads the cluster a few times, not 200 times); nothing is cached
 * once the answer has arrived.
 */
export function retrieve(
  c: VimClient,
  obj: MoRef,
  paths: ReadonlyArray<string>,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  let reads = inFlight.get(c);
  if (!reads) {
    reads = new Map();
    inFlight.set(c, reads);
  }
  const key = `${c.epoch}:${obj.type}:${obj.value}:${paths.join(",")}`;
  const shared = reads.get(key);
  if (shared) return shared;
  const p = retrieveOne(c, obj, paths, signal).finally(() => reads.delete(key));
  reads.set(key, p);
  return p;
}

async function retrieveOne(
  c: VimClient,
  obj: MoRef,
  paths: ReadonlyArray<string>,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const [one] = await retrieveMany(c, obj.type, [obj], paths, signal);
  if (!one)
    throw new NotFoundError(
      `${obj.type} ${obj.value} does not exist in vCenter ${c.settings.server} (deleted outside Pulumi?)`,
      obj,
    );
  return one.props;
}

export interface ObjectProps {
  obj: MoRef;
  props: Record<string, unknown>;
}

/** Reads the same properties of several objects of one type in one round trip. */
export async function retrieveMany(
  c: VimClient,
  type: string,
  objs: ReadonlyArray<MoRef>,
  paths: ReadonlyArray<string>,
  signal?: AbortSignal,
): Promise<ObjectProps[]> {
  if (objs.length === 0) return [];
  const sc = await c.session(signal);
  const result = await c.invoke(
    "RetrievePropertiesEx",
    sc.propertyCollector,
    {
      specSet: {
        propSet: { type, pathSet: [...paths] },
        objectSet: objs.map((o) => ({ obj: ref(o), skip: false })),
      },
      options: {},
    },
    signal,
  );
  const out: ObjectProps[] = [];
  for (const oc of list(child(result, "objects"))) {
    const obj = moref(child(oc, "obj"));
    if (!obj) continue;
    const props: Record<string, unknown> = {};
    for (const p of list(child(oc, "propSet"))) {
      const name = str(p, "name");
      if (name) props[name] = child(p, "val");
    }
    out.push({ obj, props });
  }
  return out;
}

/** A property holding a list of references (`ArrayOfManagedObjectReference`). */
export function refList(val: unknown): MoRef[] {
  return list(child(val, "ManagedObjectReference"))
    .map(moref)
    .filter((r): r is MoRef => !!r);
}
