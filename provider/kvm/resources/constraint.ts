import { isDeepStrictEqual } from "node:util";
import type { z } from "zod";
import type { InputError } from "../../core/errors";
import { TerminalError } from "../../core/errors";
import { defineResource } from "../../core/resource";
import type { Constraint } from "../../runtime/core/constraints";
import { insecureReport } from "../connection";
import { parseStored, readSpec, type SpecTarget, updateSpec } from "../spec-store";
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

const target = (i: Inputs): SpecTarget => ({
  etcd: i.etcd,
  cluster: i.cluster,
  subject: `constraint ${i.name}`,
});

/** Writes (or removes) the constraint; says whether create found another one and adopted it. */
async function write(i: Inputs, mode: "create" | "update" | "delete"): Promise<{ adopted: boolean }> {
  const t = target(i);
  let adopted = false;
  await updateSpec(t, (doc) => {
    if (!doc) {
      if (mode === "delete") return doc;
      throw new TerminalError(
        `${t.subject}: cluster ${i.cluster} has no spec in etcd; create the kvm.Cluster first`,
      );
    }
    const constraints = { ...(doc.constraints ?? {}) } as Record<string, unknown>;
    const existing = constraints[i.name!];
    if (mode === "create" && existing !== undefined) {
      // The same constraint: an earlier attempt whose commit reply was lost wrote it.
      if (isDeepStrictEqual(existing, toSpec(i))) return doc;
      if (!i.adopt) {
        throw new TerminalError(
          `${t.subject}: cluster ${i.cluster} already has a constraint named ${i.name} with other settings; ` +
            "set adopt: true to take it over with this program's settings, or choose another name",
        );
      }
      adopted = true;
    }
    if (mode === "delete") delete constraints[i.name!];
    else constraints[i.name!] = toSpec(i);
    return { ...doc, constraints } as typeof doc;
  });
  return { adopted };
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
    const { adopted } = await ctx.call(`constraint ${i.name}: write spec`, () => write(i, "create"));
    // adopted: the core then releases the constraint on delete instead of removing it.
    return { id: `${i.cluster}/${i.name}`, outputs: insecureReport(i.etcd), adopted };
  },
  async read(_id, current, ctx) {
    const i = current.inputs;
    const stored = await ctx.call(`constraint ${i.name}: read spec`, () => readSpec(target(i)));
    const c = stored?.doc.constraints?.[i.name!] as Constraint | undefined;
    if (!c) return undefined;
    const { type, ...rest } = c;
    const inputs = parseStored(
      constraintSchema.inputs,
      {
        cluster: i.cluster,
        etcd: i.etcd,
        name: i.name,
        ...(i.adopt !== undefined ? { adopt: i.adopt } : {}),
        ...(i.timeouts !== undefined ? { timeouts: i.timeouts } : {}),
        [type]: rest,
      },
      target(i),
      "its constraint",
    );
    return { inputs, outputs: insecureReport(i.etcd) };
  },
  async update(_id, _olds, news, ctx) {
    await ctx.call(`constraint ${news.name}: write spec`, () => write(news, "update"));
    return insecureReport(news.etcd);
  },
  // An adopted constraint never gets here: the core releases it (leaves it in the spec).
  async delete(_id, state, ctx) {
    await ctx.call(`constraint ${state.inputs.name}: remove from spec`, () => write(state.inputs, "delete"));
  },
});
