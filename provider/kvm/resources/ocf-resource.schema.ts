// kvm.Resource: any OCF resource agent with its parameters (`pcs resource create <name>
// ocf:<provider>:<type> key=value … op monitor interval=…`), so a Pacemaker user's resources
// work unchanged.
import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { entryShape, ObservedSchema } from "../resource-entry.schema";

export const ocfResourceSchema = defineSchema({
  key: "kvm:Resource",
  module: "provider/kvm/resources/ocf-resource",
  description: "Any OCF resource agent (ocf:heartbeat:VirtualDomain, ocf:heartbeat:IPaddr2, ...).",
  inputs: z.strictObject({
    ...entryShape,
    agent: z
      .string()
      .regex(
        /^ocf:[a-z0-9_-]+:[A-Za-z0-9_.-]+$/,
        "must read ocf:<provider>:<type>, e.g. ocf:heartbeat:VirtualDomain",
      ),
    params: z
      .record(z.string().regex(/^[A-Za-z0-9_]+$/, "OCF parameter names are letters, digits, _"), z.string())
      .default({}),
    kind: z.enum(["vm", "ocf"]).default("ocf").describe("vm: counts as a VM for placement and reservations."),
  }),
  outputs: ObservedSchema,
  replaceOn: ["cluster", "name"],
  deleteBeforeReplace: true,
  secretInputs: ["etcd"],
  nameField: "name",
});
