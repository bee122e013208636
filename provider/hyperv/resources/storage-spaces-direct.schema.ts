import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { adopt, allowDestructiveReplace, netbiosName, text, timeouts } from "./common.schema";

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
    /** Consent to disable and re-enable S2D when `cluster` changes (the pool is rebuilt). */
    allowDestructiveReplace,
    timeouts,
  }),
  outputs: z.strictObject({
    poolName: z.string(),
    poolSizeBytes: z.number(),
  }),
  replaceOn: ["cluster"],
  deleteBeforeReplace: true,
  dataAtRisk: "the Storage Spaces Direct pool and every volume on it",
});
