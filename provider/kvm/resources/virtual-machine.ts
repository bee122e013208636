import { entryDefinition } from "../resource-entry";
import { virtualMachineSchema } from "./virtual-machine.schema";

export const definition = entryDefinition(virtualMachineSchema, {
  label: "vm",
  bulkField: "domainXml",
  toSpec: (i) => ({
    kind: "vm",
    params: { domainXml: i.domainXml },
    ...(i.migration ? { migration: i.migration } : {}),
  }),
  fromSpec: (raw) => ({ domainXml: raw.params?.domainXml ?? "", migration: raw.migration }),
});
