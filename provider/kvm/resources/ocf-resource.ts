import { entryDefinition } from "../resource-entry";
import { ocfResourceSchema } from "./ocf-resource.schema";

export const definition = entryDefinition(ocfResourceSchema, {
  label: "resource",
  bulkField: "params",
  toSpec: (i) => ({ kind: i.kind, agent: i.agent, params: { ...i.params } }),
  fromSpec: (raw) => ({ agent: raw.agent, params: raw.params ?? {}, kind: raw.kind }),
});
