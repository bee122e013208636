// kvm.Constraint: `pcs constraint location|colocation|order`. Kept as its own spec entry and
// folded into placement by the runtime's parser (provider/runtime/core/constraints.ts).
import { z } from "zod";
import { timeoutsInput } from "../../core/inputs";
import { defineSchema } from "../../core/resource";
import { clusterName, clusterRefShape, insecureOutputShape } from "../connection.schema";

export const constraintSchema = defineSchema({
  key: "kvm:Constraint",
  module: "provider/kvm/resources/constraint",
  description: "A location, colocation or order constraint between resources and hosts.",
  inputs: z.strictObject({
    ...clusterRefShape,
    name: clusterName.optional().describe("Name in the cluster; defaults to the Pulumi resource name."),
    location: z
      .strictObject({ resource: clusterName, host: clusterName, rule: z.enum(["prefer", "ban"]) })
      .optional()
      .describe("pcs constraint location <resource> prefers|avoids <host>"),
    colocation: z
      .strictObject({ resource: clusterName, with: clusterName })
      .optional()
      .describe("pcs constraint colocation add <resource> with <with>"),
    order: z
      .strictObject({ first: clusterName, then: clusterName })
      .optional()
      .describe("pcs constraint order start <first> then <then>"),
    adopt: z
      .boolean()
      .optional()
      .describe(
        "Take over a constraint of this name that already exists in the spec; deleting the resource then " +
          "releases it (leaves it in the spec).",
      ),
    timeouts: timeoutsInput.describe('Per-operation deadlines, e.g. { create: "5m" }.'),
  }),
  outputs: z.strictObject({
    ...insecureOutputShape,
  }),
  replaceOn: ["cluster", "name"],
  deleteBeforeReplace: true,
  secretInputs: ["etcd"],
  nameField: "name",
});
