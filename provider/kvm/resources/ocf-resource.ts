import type { z } from "zod";
import { defineResource } from "../../core/resource";
import { commonFromEntry, entryOps, type RawEntry } from "../resource-entry";
import { ocfResourceSchema } from "./ocf-resource.schema";

const ops = entryOps("resource");
type Inputs = z.output<typeof ocfResourceSchema.inputs>;

function specific(i: Inputs): RawEntry {
  return { kind: i.kind, agent: i.agent, params: { ...i.params } };
}

export const definition = defineResource({
  ...ocfResourceSchema,
  async validate(i, ctx) {
    const problem = await ops.validate(i, specific(i), ctx);
    return problem ? [{ property: "reservation", reason: problem }] : [];
  },
  async create(i, ctx) {
    return { id: `${i.cluster}/${i.name}`, outputs: await ops.write(i, specific(i), ctx, "create") };
  },
  async read(_id, current, ctx) {
    const r = await ops.read(current.inputs, ctx);
    if (!r) return undefined;
    const inputs = ocfResourceSchema.inputs.parse({
      cluster: current.inputs.cluster,
      etcd: current.inputs.etcd,
      name: current.inputs.name,
      ...commonFromEntry(r.raw),
      agent: r.raw.agent,
      params: r.raw.params ?? {},
      kind: r.raw.kind,
    });
    return { inputs, outputs: r.observed };
  },
  async update(_id, _olds, news, ctx) {
    return ops.write(news, specific(news), ctx, "update");
  },
  async delete(_id, state, ctx) {
    await ops.remove(state.inputs, ctx);
  },
});
