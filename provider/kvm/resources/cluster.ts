import { TerminalError } from "../../core/errors";
import { defineResource, type State } from "../../core/resource";
import { clusterPrefix } from "../../runtime/store/keys";
import { etcdFor } from "../connection";
import { type RawSpec, readSpec, updateSpec } from "../spec-store";
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

export const definition = defineResource({
  ...clusterSchema,
  async create(inputs, ctx) {
    const etcd = etcdFor(inputs.etcd);
    await ctx.call(`cluster ${inputs.name}: write spec`, () =>
      updateSpec(etcd, inputs.name, `cluster ${inputs.name}`, (doc) => {
        if (doc && !inputs.adopt) {
          throw new TerminalError(
            `cluster ${inputs.name}: a spec already exists in etcd at ${clusterPrefix(inputs.name)}spec; ` +
              "set adopt: true to take it over, or choose another name",
          );
        }
        return apply(doc, inputs);
      }),
    );
    return { id: inputs.name, outputs: { storePrefix: clusterPrefix(inputs.name) } };
  },
  async read(id, current, ctx) {
    const stored = await ctx.call(`cluster ${id}: read spec`, () =>
      readSpec(etcdFor(current.inputs.etcd), id),
    );
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
    const inputs = clusterSchema.inputs.parse({
      ...current.inputs,
      hosts,
      timing: d.timing,
      admissionControl: d.admissionControl,
      resourceDefaults: d.defaults,
    });
    return { inputs, outputs: { storePrefix: clusterPrefix(id) } };
  },
  async update(id, _olds, news, ctx) {
    await ctx.call(`cluster ${id}: update spec`, () =>
      updateSpec(etcdFor(news.etcd), id, `cluster ${id}`, (doc) => apply(doc, news)),
    );
    return { storePrefix: clusterPrefix(id) };
  },
  async delete(id, state, ctx) {
    await ctx.call(`cluster ${id}: remove spec`, () =>
      updateSpec(etcdFor(state.inputs.etcd), id, `cluster ${id}`, (doc) => {
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
