import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { allowDestructiveReplace, netbiosName, text, timeouts } from "./common.schema";

/** Defaults of a volume from the pool; written out explicitly they are the same volume. */
export const VOLUME_DEFAULTS = {
  resiliency: "Mirror",
  fileSystem: "CSVFS_ReFS",
  storagePool: "S2D*",
} as const;

export const clusterSharedVolumeSchema = defineSchema({
  key: "hyperv:ClusterSharedVolume",
  module: "provider/hyperv/resources/cluster-shared-volume",
  description:
    "A Cluster Shared Volume: a new volume from the S2D pool (New-Volume, CSVFS_ReFS by default) or an existing available cluster disk (Add-ClusterSharedVolume).",
  inputs: z
    .strictObject({
      cluster: netbiosName,
      /** From the pool: the volume's name (its CSV is "Cluster Virtual Disk (<name>)"). */
      friendlyName: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/, "must be 1-63 letters, digits, spaces, '_', '.' or '-'")
        .optional(),
      /** From the pool: size in GiB; grows in place (Resize-VirtualDisk), never shrinks. */
      sizeGb: z.number().int().min(1).optional(),
      resiliency: z.enum(["Mirror", "Parity", "Simple"]).default(VOLUME_DEFAULTS.resiliency),
      fileSystem: z.enum(["CSVFS_ReFS", "CSVFS_NTFS"]).default(VOLUME_DEFAULTS.fileSystem),
      /** Pool to allocate from (wildcards allowed). */
      storagePool: text.default(VOLUME_DEFAULTS.storagePool),
      /** Instead: an existing disk in Available Storage, e.g. "Cluster Disk 1". */
      disk: text.optional(),
      /** Consent to delete and recreate the volume when a creation-only field changes (its data is lost). */
      allowDestructiveReplace,
      /** Deadlines per operation, e.g. { create: "2h" } (default create 60m). */
      timeouts,
    })
    .superRefine((v, ctx) => {
      if (v.disk !== undefined) {
        // The pool settings are filled in by their defaults; only a value other than the default
        // can have been the user's.
        for (const k of ["friendlyName", "sizeGb", "resiliency", "fileSystem", "storagePool"] as const) {
          const isDefault =
            k in VOLUME_DEFAULTS && v[k] === VOLUME_DEFAULTS[k as keyof typeof VOLUME_DEFAULTS];
          if (v[k] !== undefined && !isDefault)
            ctx.addIssue({
              code: "custom",
              path: [k],
              message: "cannot be combined with disk (an existing disk is added as it is)",
            });
        }
        return;
      }
      if (v.friendlyName === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["friendlyName"],
          message: "is required for a volume from the pool (or set disk)",
        });
      if (v.sizeGb === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["sizeGb"],
          message: "is required for a volume from the pool (or set disk)",
        });
    }),
  outputs: z.strictObject({
    csvName: z.string(),
    /** Where every node sees the volume, e.g. C:\ClusterStorage\Volume1. */
    path: z.string(),
    sizeBytes: z.number(),
  }),
  // A replacement deletes the volume: refused in check() unless allowDestructiveReplace: true.
  replaceOn: ["cluster", "friendlyName", "resiliency", "fileSystem", "storagePool", "disk"],
  deleteBeforeReplace: true,
  dataAtRisk: "the volume and every file on it (the VM disks it holds)",
});
