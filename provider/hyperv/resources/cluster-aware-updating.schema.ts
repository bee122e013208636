import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { netbiosName, timeouts } from "./common.schema";

export const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

export const clusterAwareUpdatingSchema = defineSchema({
  key: "hyperv:ClusterAwareUpdating",
  module: "provider/hyperv/resources/cluster-aware-updating",
  description:
    "The Cluster-Aware Updating clustered role: nodes are drained, patched and resumed one at a time on a schedule, so VMs stay up and nodes stay at the same patch level.",
  inputs: z.strictObject({
    cluster: netbiosName,
    daysOfWeek: z.array(z.enum(DAYS)).min(1, "needs at least one day"),
    /** Weeks of the month (1-5) to run in; [] means every week. */
    weeksOfMonth: z.array(z.number().int().min(1).max(5)).default([]),
    /** Nodes that may fail to update before the run stops (keep it within failuresToTolerate). */
    maxFailedNodes: z.number().int().min(0).default(0),
    maxRetriesPerNode: z.number().int().min(1).max(64).default(3),
    /** Start only when every node is up. */
    requireAllNodesOnline: z.boolean().default(true),
    /** First date the schedule applies (ISO 8601). */
    startDate: z.iso.datetime({ local: true, offset: true }).optional(),
    enableFirewallRules: z.boolean().default(true),
    virtualComputerObjectName: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,15}$/, "must be a NetBIOS name")
      .optional(),
    timeouts,
  }),
  outputs: z.strictObject({
    resourceGroupName: z.string(),
  }),
  replaceOn: ["cluster", "virtualComputerObjectName", "enableFirewallRules"],
  deleteBeforeReplace: true,
  setLike: ["daysOfWeek", "weeksOfMonth"],
});
