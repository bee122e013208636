// kvm.VirtualMachine: the monitored VM role (`pcs resource create vm1 ocf:heartbeat:VirtualDomain
// config=… op monitor interval=30s`). The libvirt domain XML lives in the spec, so any host can
// start the VM.
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { entryShape, ObservedSchema } from "../resource-entry.schema";

function domainName(xml: string): string | undefined {
  const doc = new XMLParser({ ignoreAttributes: true }).parse(xml) as { domain?: { name?: unknown } };
  return typeof doc.domain?.name === "string" ? doc.domain.name : undefined;
}

export const virtualMachineSchema = defineSchema({
  key: "kvm:VirtualMachine",
  module: "provider/kvm/resources/virtual-machine",
  description: "A libvirt/KVM virtual machine kept running by vmha's HA runtime.",
  inputs: z
    .strictObject({
      ...entryShape,
      domainXml: z
        .string()
        .refine(
          (x) => XMLValidator.validate(x) === true,
          "must be well-formed XML (a libvirt <domain> document)",
        )
        .refine(
          (x) => XMLValidator.validate(x) !== true || domainName(x) !== undefined,
          "needs a <domain> root with a <name>",
        )
        .describe("The libvirt domain XML (use kvm.domainXmlFromFile() to read a file)."),
      migration: z.enum(["live", "offline"]).optional().describe("How maintenance drains it (default live)."),
    })
    .superRefine((v, ctx) => {
      if (v.name === undefined || XMLValidator.validate(v.domainXml) !== true) return;
      const n = domainName(v.domainXml);
      if (n !== undefined && n !== v.name) {
        ctx.addIssue({
          code: "custom",
          path: ["domainXml"],
          message: `the domain's <name> is "${n}" but the resource is named "${v.name}"; they must match`,
        });
      }
    }),
  outputs: ObservedSchema,
  replaceOn: ["cluster", "name"],
  deleteBeforeReplace: true,
  secretInputs: ["etcd"],
  nameField: "name",
});
