// A vSphere cluster: created in a datacenter (CreateClusterEx) or adopted (by name or id), with
// existing hosts moved into it and new ESXi hosts added by address.
import { z } from "zod";
import { allowDestructiveReplace } from "../../core/inputs";
import { defineSchema } from "../../core/resource";

export const newHost = z.strictObject({
  address: z.string().min(1, "must be the ESXi host's DNS name or IP address"),
  user: z.string().min(1).default("root"),
  password: z.string().describe("The ESXi host's password (secret: never stored in plaintext)."),
  sslThumbprint: z
    .string()
    .regex(
      /^([0-9A-Fa-f]{2}:){19,31}[0-9A-Fa-f]{2}$/,
      "must be the host certificate's SHA-1 or SHA-256 thumbprint (AA:BB:…)",
    )
    .optional(),
  port: z.number().int().min(1).max(65535).default(443),
  force: z.boolean().default(false).describe("Take the host over even when another vCenter manages it."),
});

export const clusterSchema = defineSchema({
  key: "vsphere:Cluster",
  module: "provider/vsphere/resources/cluster",
  description:
    "A vSphere cluster: created in a datacenter, or adopted by name or managed-object id; hosts moved in or added.",
  inputs: z
    .strictObject({
      datacenter: z.string().min(1, "must name a datacenter (name or inventory path)"),
      name: z
        .string()
        .min(1, "must not be empty")
        .max(80, "must be at most 80 characters")
        .refine((n) => !/[/\\%]/.test(n), "must not contain / \\ or %"),
      adopt: z
        .boolean()
        .default(false)
        .describe(
          "Manage an existing cluster of this name instead of creating one; deleting releases it. Setting it on a cluster vmha created is an update: from then on deleting releases it.",
        ),
      existingId: z
        .string()
        .regex(/^domain-c\d+$/, 'must be a cluster managed-object id such as "domain-c7"')
        .optional()
        .describe(
          "With adopt: the existing cluster's id (what vsphere.ComputeCluster exports) instead of its name.",
        ),
      moveHosts: z
        .array(z.string().min(1))
        .default([])
        .describe(
          'Existing hosts to move in: ids ("host-21"), standalone host names, or "cluster/host" paths.',
        ),
      addHosts: z.array(newHost).default([]).describe("New ESXi hosts to add (connect) to the cluster."),
      forceDestroy: z
        .boolean()
        .default(false)
        .describe("Allow deleting a created cluster that still holds hosts (its hosts leave vCenter)."),
      /** Consent to rebuild the cluster when datacenter or existingId changes (its configuration is lost). */
      allowDestructiveReplace,
    })
    .refine((c) => !(c.existingId && !c.adopt), {
      message: "existingId names a cluster to adopt: set adopt: true too",
      path: ["existingId"],
    }),
  outputs: z.strictObject({
    clusterId: z.string(),
    hostIds: z.array(z.string()),
    created: z.boolean(),
    /** moveHosts resolved to ids, index by index. */
    movedHostIds: z.array(z.string()),
    /** Set by a refresh: secret inputs whose live value differs from the state (names only; for vmha-drift). */
    driftedSecretInputs: z.array(z.string()).optional(),
  }),
  // Not `adopt`: flipping it names the same cluster, and a replacement would adopt that cluster
  // and then delete the old resource, which destroys the cluster it just adopted (review finding 8).
  // `existingId` replaces only when it names another cluster (see ignoreDifferences).
  replaceOn: ["datacenter", "existingId"],
  // hosts in a cluster have no order: a reordered list is no change (review finding 1's rule)
  setLike: ["moveHosts", "addHosts"],
  dataAtRisk:
    "the vSphere cluster (for a created one): its HA and DRS configuration, its VM overrides and rules, and " +
    "its hosts' membership (hosts leave the cluster)",
  secretInputs: ["addHosts"],
});

export type ClusterInputs = z.output<typeof clusterSchema.inputs>;
