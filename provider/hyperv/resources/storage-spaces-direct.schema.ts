import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { adopt, netbiosName, text } from "./common.schema";

export const storageSpacesDirectSchema = defineSchema({
  key: "hyperv:StorageSpacesDirect",
  module: "provider/hyperv/resources/storage-spaces-direct",
  description: "Storage Spaces Direct on a failover cluster: one pool from the nodes' local drives.",
  inputs: z.strictObject({
    cluster: netbiosName,
    /** Name of the pool S2D creates (WSFC's default: "S2D on <cluster>"). Renamed in place. */
    poolFriendlyName: text.optional(),
    cacheState: z.enum(["Enabled", "Disabled"]).default("Enabled"),
    adopt,
  }),
  outputs: z.strictObject({
    poolName: z.string(),
    poolSizeBytes: z.number(),
  }),
  replaceOn: ["cluster"],
  deleteBeforeReplace: true,
});
