import type { z } from "zod";
import { defineResource } from "../../core/resource";
import { commonFromEntry, entryOps, type RawEntry } from "../resource-entry";
import { virtualMachineSchema } from "./virtual-machine.schema";

const ops = entryOps("vm");

type Inputs = z.output<typeof virtualMachineSchema.inputs>;

function specific(i: Inputs): RawEntry {
  return {
    kind: "vm",
    params: { domainXml: i.domainXml },
    ...(i.migration ? { migration: i.migration } : {}),
  };
}

export const definition = defineResource({
  ...virtualMachineSchema,
  async validate(i, ctx) {
    const problem = await ops.validate(i, specific(i), ctx);
    return problem ? [{ property: "reservation", reason: problem }] : [];
  },
  async create(i, ctx) {
    const o = await ops.write(i, specific(i), ctx, "create");
    return { id: `${i.cluster}/${i.name}`, outputs: o };
  },
  async read(_id, current, ctx) {
    const r = await ops.read(current.inputs, ctx);
    if (!r) return undefined;
    const inputs = virtualMachineSchema.inputs.parse({
      cluster: current.inputs.cluster,
      etcd: current.inputs.etcd,
      name: current.inputs.name,
      ...commonFromEntry(r.raw),
      domainXml: r.raw.params?.domainXml ?? "",
      migration: r.raw.migration,
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
