import { isDeepStrictEqual } from "node:util";
import type { CheckFailure } from "../../core/errors";
import { TerminalError } from "../../core/errors";
import { defineResource, type State } from "../../core/resource";
import { tryParseSpec } from "../../runtime/core/spec";
import { clusterPrefix } from "../../runtime/store/keys";
import { insecureReport } from "../connection";
import { parseStored, type RawSpec, readSpec, type SpecTarget, updateSpec } from "../spec-store";
import { clusterSchema } from "./cluster.schema";

type S = typeof clusterSchema;
type Inputs = State<S["inputs"], S["outputs"]>["inputs"];

/** The cluster-level part of the spec; resources, constraints and fence devices belong to others. */
function apply(doc: RawSpec | undefined, i: Inputs): RawSpec {
  const hosts: RawSpec["hosts"] = {};
  for (const [h, { address, ...spec }] of Object.entries(i.hosts)) {
    // The runtime reads a host's address from labels.address (provider/runtime/PORT-REQUESTS.md).
    const labels = address ? { ...spec.labels, address } : spec.labels;
    hosts[h] = {
      ...spec,
      ...(labels ? { labels } : {}),
      // A host keeps the fence device a FenceDevice resource gave it.
      ...(doc?.hosts?.[h]?.fence ? { fence: doc.hosts[h].fence } : {}),
    };
  }
  const next: RawSpec & { defaults?: unknown } = { ...(doc ?? {}), version: 1, name: i.name, hosts };
  // Unset fields are left out (not written as {}), so what read() returns equals the program's
  // inputs; the agents' parser fills in the documented defaults.
  for (const [k, v] of [
    ["timing", i.timing],
    ["admissionControl", i.admissionControl],
    ["defaults", i.resourceDefaults],
  ] as const) {
    if (v === undefined) delete next[k];
    else (next as Record<string, unknown>)[k] = v;
  }
  return next;
}

const target = (i: Pick<Inputs, "etcd">, id: string): SpecTarget => ({
  etcd: i.etcd,
  cluster: id,
  subject: `cluster ${id}`,
});

/** The spec's `defaults` is the input `resourceDefaults`; every other top-level name is the same. */
function toProperty(p: string): string {
  return p === "defaults" || p.startsWith("defaults.") ? `resource${p[0]!.toUpperCase()}${p.slice(1)}` : p;
}

/**
 * The runtime's own parser on the cluster-level spec, so timing invariants (leaseTtlMs in whole
 * seconds, the isolation arithmetic, …) fail at preview on the field, with the runtime's words.
 */
export function clusterFailures(i: Inputs): CheckFailure[] {
  const r = tryParseSpec(apply(undefined, i));
  if (r.ok) return [];
  return r.issues.map((x) => ({ property: toProperty(x.property), reason: x.reason }));
}

export const definition = defineResource({
  ...clusterSchema,
  async validate(inputs) {
    return clusterFailures(inputs);
  },
  async create(inputs, ctx) {
    let adopted = false;
    await ctx.call(`cluster ${inputs.name}: write spec`, () =>
      updateSpec(target(inputs, inputs.name), (doc) => {
        // Exactly what this create writes: an earlier attempt whose reply was lost wrote it.
        if (doc && isDeepStrictEqual(apply(doc, inputs), doc)) return doc;
        if (doc && !inputs.adopt) {
          throw new TerminalError(
            `cluster ${inputs.name}: a spec already exists in etcd at ${clusterPrefix(inputs.name)}spec; ` +
              "set adopt: true to take it over, or choose another name",
          );
        }
        adopted = doc !== undefined;
        return apply(doc, inputs);
      }),
    );
    // adopted: the core then releases the spec on delete instead of deleting it.
    return {
      id: inputs.name,
      outputs: { storePrefix: clusterPrefix(inputs.name), ...insecureReport(inputs.etcd) },
      adopted,
    };
  },
  async read(id, current, ctx) {
    const stored = await ctx.call(`cluster ${id}: read spec`, () => readSpec(target(current.inputs, id)));
    if (!stored) return undefined;
    const d = stored.doc as RawSpec & { defaults?: Inputs["resourceDefaults"] };
    const hosts: Inputs["hosts"] = {};
    for (const [h, spec] of Object.entries(d.hosts ?? {})) {
      const { address, ...labels } = spec.labels ?? {};
      hosts[h] = {
        cpu: spec.cpu,
        memoryMiB: spec.memoryMiB,
        ...(address ? { address } : {}),
        ...(Object.keys(labels).length ? { labels } : {}),
      };
    }
    // Parsed through the schema so what refresh stores has the same shape the program writes.
    const inputs = parseStored(
      clusterSchema.inputs,
      {
        ...current.inputs,
        hosts,
        timing: d.timing,
        admissionControl: d.admissionControl,
        resourceDefaults: d.defaults,
      },
      target(current.inputs, id),
      "its spec",
    );
    return { inputs, outputs: { storePrefix: clusterPrefix(id), ...insecureReport(inputs.etcd) } };
  },
  async update(id, _olds, news, ctx) {
    await ctx.call(`cluster ${id}: update spec`, () =>
      updateSpec(target(news, id), (doc) => apply(doc, news)),
    );
    return { storePrefix: clusterPrefix(id), ...insecureReport(news.etcd) };
  },
  // An adopted spec never gets here: the core releases it (leaves it in etcd).
  async delete(id, state, ctx) {
    await ctx.call(`cluster ${id}: remove spec`, () =>
      updateSpec(target(state.inputs, id), (doc) => {
        const left = Object.keys(doc?.resources ?? {});
        if (left.length > 0) {
          throw new TerminalError(
            `cluster ${id}: still has resources ${left.join(", ")} in its spec; delete them first ` +
              "(or remove them from the program so Pulumi deletes them before the cluster)",
          );
        }
        return undefined;
      }),
    );
  },
});
