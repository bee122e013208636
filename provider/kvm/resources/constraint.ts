import type { z } from "zod";
import type { InputError } from "../../core/errors";
import { TerminalError } from "../../core/errors";
import { defineResource } from "../../core/resource";
import type { Constraint } from "../../runtime/core/constraints";
import { etcdFor } from "../connection";
import { readSpec, updateSpec } from "../spec-store";
import { constraintSchema } from "./constraint.schema";

type Inputs = z.output<typeof constraintSchema.inputs>;

function kinds(i: Inputs): Constraint[] {
  const out: Constraint[] = [];
  if (i.location) out.push({ type: "location", ...i.location });
  if (i.colocation) out.push({ type: "colocation", ...i.colocation });
  if (i.order) out.push({ type: "order", ...i.order });
  return out;
}

function toSpec(i: Inputs): Constraint {
  const k = kinds(i);
  if (k.length !== 1)
    throw new TerminalError(`constraint ${i.name}: set exactly one of location, colocation, order`);
  return k[0]!;
}

function write(i: Inputs, mode: "create" | "update" | "delete") {
  const subject = `constraint ${i.name}`;
  return updateSpec(etcdFor(i.etcd), i.cluster, subject, (doc) => {
    if (!doc) {
      if (mode === "delete") return doc;
      throw new TerminalError(
        `${subject}: cluster ${i.cluster} has no spec in etcd; create the kvm.Cluster first`,
      );
    }
    const constraints = { ...(doc.constraints ?? {}) } as Record<string, unknown>;
    if (mode === "create" && constraints[i.name!]) {
      throw new TerminalError(`${subject}: cluster ${i.cluster} already has a constraint named ${i.name}`);
    }
    if (mode === "delete") delete constraints[i.name!];
    else constraints[i.name!] = toSpec(i);
    return { ...doc, constraints } as typeof doc;
  });
}

export const definition = defineResource({
  ...constraintSchema,
  async validate(i) {
    const n = kinds(i).length;
    if (n === 1) return [];
    return [
      {
        property: n === 0 ? "location" : "order",
        reason:
          n === 0
            ? "set one of location, colocation or order"
            : "set only one of location, colocation or order",
      },
    ] satisfies InputError["failures"];
  },
  async create(i, ctx) {
    await ctx.call(`constraint ${i.name}: write spec`, () => write(i, "create"));
    return { id: `${i.cluster}/${i.name}`, outputs: {} };
  },
  async read(_id, current, ctx) {
    const i = current.inputs;
    const stored = await ctx.call(`constraint ${i.name}: read spec`, () =>
      readSpec(etcdFor(i.etcd), i.cluster),
    );
    const c = stored?.doc.constraints?.[i.name!] as Constraint | undefined;
    if (!c) return undefined;
    const { type, ...rest } = c;
    const inputs = constraintSchema.inputs.parse({
      cluster: i.cluster,
      etcd: i.etcd,
      name: i.name,
      [type]: rest,
    });
    return { inputs, outputs: {} };
  },
  async update(_id, _olds, news, ctx) {
    await ctx.call(`constraint ${news.name}: write spec`, () => write(news, "update"));
    return {};
  },
  async delete(_id, state, ctx) {
    await ctx.call(`constraint ${state.inputs.name}: remove from spec`, () => write(state.inputs, "delete"));
  },
});
