import { z } from "zod";
import { defineSchema } from "../../core/resource";
import {
  adopt,
  allowDestructiveReplace,
  cidr,
  ipv4,
  netbiosName,
  nodeName,
  text,
  timeouts,
  unique,
  uniqueList,
} from "./common.schema";

export const quorumSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("none") }),
  z.strictObject({ type: z.literal("disk"), disk: text }),
  z.strictObject({
    type: z.literal("fileShare"),
    path: z.string().regex(/^\\\\[^\\]+\\[^\\].*$/, "must be a UNC path such as \\\\fs01\\witness"),
  }),
  z.strictObject({
    type: z.literal("cloud"),
    accountName: z
      .string()
      .regex(/^[a-z0-9]{3,24}$/, "must be an Azure storage account name (3-24 lower-case letters or digits)"),
    endpoint: z
      .string()
      .regex(/^[A-Za-z0-9.-]+$/, "must be a DNS suffix such as core.windows.net")
      .optional(),
  }),
]);

export const heartbeatSchema = z.strictObject({
  /** Milliseconds between heartbeats on one subnet (WSFC default 1000). */
  sameSubnetDelayMs: z.number().int().min(250).max(2000).optional(),
  /** Missed heartbeats before a node on the same subnet is declared down (default 10). */
  sameSubnetThreshold: z.number().int().min(3).max(120).optional(),
  crossSubnetDelayMs: z.number().int().min(250).max(4000).optional(),
  crossSubnetThreshold: z.number().int().min(3).max(120).optional(),
});

export const failoverClusterSchema = defineSchema({
  key: "hyperv:FailoverCluster",
  module: "provider/hyperv/resources/failover-cluster",
  description:
    "A Windows Server Failover Cluster: nodes (with the Failover-Clustering feature installed), validation, quorum witness and heartbeat settings.",
  inputs: z
    .strictObject({
      name: netbiosName,
      nodes: unique(nodeName, "nodes")
        .min(1, "needs at least one node")
        .max(64, "WSFC supports at most 64 nodes"),
      /** Set at creation only (compared as a set: the order means nothing). */
      staticAddresses: uniqueList(ipv4, "staticAddresses").default([]),
      /** Set at creation only (compared as a set). */
      ignoreNetworks: uniqueList(cidr, "ignoreNetworks").default([]),
      /** Set at creation only. */
      noStorage: z.boolean().default(false),
      /** Install Failover-Clustering (with management tools) on nodes that lack it. */
      installFeature: z.boolean().default(true),
      /** Run Test-Cluster before New-Cluster / Add-ClusterNode and refuse on failed tests. */
      runValidation: z.boolean().default(true),
      quorum: quorumSchema.optional(),
      /** The cloud witness's storage account access key (secret). */
      cloudWitnessAccessKey: z.string().min(1).optional(),
      heartbeat: heartbeatSchema.optional(),
      /** Admission control: node failures the VM roles must survive (pass it on to each VmRole). */
      failuresToTolerate: z.number().int().min(0).optional(),
      adopt,
      /** Consent to rebuild the cluster when a creation-only field changes (everything on it is lost). */
      allowDestructiveReplace,
      /** Deadlines per operation, e.g. { create: "3h" } for many nodes (default create 60m). */
      timeouts,
    })
    .superRefine((v, ctx) => {
      if (v.quorum?.type === "cloud" && !v.cloudWitnessAccessKey) {
        ctx.addIssue({
          code: "custom",
          path: ["cloudWitnessAccessKey"],
          message: "is required for a cloud witness",
        });
      }
      if (v.failuresToTolerate !== undefined && v.failuresToTolerate >= v.nodes.length) {
        ctx.addIssue({
          code: "custom",
          path: ["failuresToTolerate"],
          message: `must be less than the number of nodes (${v.nodes.length}); at least one node must survive`,
        });
      }
    }),
  outputs: z.strictObject({
    clusterId: z.string(),
    /** Test-Cluster's report on the node it ran on ("" when validation was skipped). */
    validationReport: z.string(),
    validationWarnings: z.array(z.string()),
    /** Nodes on which this resource installed Failover-Clustering. */
    featureInstalledOn: z.array(z.string()),
  }),
  // Creation-only: WSFC cannot change these in place. A change is refused in check() unless
  // allowDestructiveReplace: true (review finding 1: a reordered address list rebuilt the cluster).
  replaceOn: ["name", "staticAddresses", "ignoreNetworks", "noStorage"],
  deleteBeforeReplace: true,
  setLike: ["nodes", "staticAddresses", "ignoreNetworks"],
  dataAtRisk:
    "the failover cluster and everything on it: every Cluster Shared Volume and its data (VM disks), every VM role, " +
    "the CAU role, Storage Spaces Direct and the cluster's Active Directory object",
  secretInputs: ["cloudWitnessAccessKey"],
});

export type FailoverClusterInputs = z.output<typeof failoverClusterSchema.inputs>;
export type Quorum = z.output<typeof quorumSchema>;
export type Heartbeat = z.output<typeof heartbeatSchema>;
