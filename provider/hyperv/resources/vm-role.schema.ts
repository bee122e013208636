import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { adopt, netbiosName, nodeName, text, timeouts, unique } from "./common.schema";

export const PRIORITIES = { NoAutoStart: 0, Low: 1000, Medium: 2000, High: 3000 } as const;

export const monitoredEventSchema = z.strictObject({
  log: text,
  source: text,
  eventId: z.number().int().min(0).max(65535),
});

export const failbackSchema = z
  .strictObject({
    /** Move the role back to its most preferred owner when that node returns. */
    allowed: z.boolean(),
    /** Only fail back between these hours (0-23, the node's local time); both or neither. */
    windowStartHour: z.number().int().min(0).max(23).optional(),
    windowEndHour: z.number().int().min(0).max(23).optional(),
  })
  .refine((f) => (f.windowStartHour === undefined) === (f.windowEndHour === undefined), {
    message: "set both windowStartHour and windowEndHour, or neither",
    path: ["windowEndHour"],
  });

export const vmRoleSchema = defineSchema({
  key: "hyperv:VmRole",
  module: "provider/hyperv/resources/vm-role",
  description:
    "A highly available virtual machine: its clustered role (Add-ClusterVirtualMachineRole) with priority, preferred owners, anti-affinity, failover and failback policy, and monitored guest services or events.",
  inputs: z.strictObject({
    cluster: netbiosName,
    /** The Hyper-V VM on one of the cluster's nodes. */
    vmName: text,
    /** The role (cluster group) name; defaults to the VM's name. */
    roleName: text.optional(),
    priority: z.enum(["NoAutoStart", "Low", "Medium", "High"]).default("Medium"),
    /** Preferred owners, most preferred first ([]: any node). */
    preferredOwners: unique(nodeName, "preferredOwners").default([]),
    /** Roles sharing a class name are kept on different nodes when possible. */
    antiAffinityClassNames: unique(text, "antiAffinityClassNames").default([]),
    /** Failures allowed within failoverPeriodHours before the role is left failed. */
    failoverThreshold: z.number().int().min(0).max(4294967295).optional(),
    failoverPeriodHours: z.number().int().min(0).max(1193).optional(),
    failback: failbackSchema.optional(),
    /** Guest services the cluster watches (VM monitoring); a failed one restarts the VM. */
    monitoredServices: unique(text, "monitoredServices").default([]),
    monitoredEvents: z.array(monitoredEventSchema).default([]),
    /** Admission control: refuse the role if its memory would not fit after this many node failures. */
    failuresToTolerate: z.number().int().min(0).optional(),
    adopt,
    timeouts,
  }),
  outputs: z.strictObject({
    groupName: z.string(),
    vmId: z.string(),
  }),
  replaceOn: ["cluster", "vmName", "roleName"],
  deleteBeforeReplace: true,
  setLike: ["antiAffinityClassNames", "monitoredServices", "monitoredEvents"],
  orderedLists: ["preferredOwners"],
  // The role's name defaults to the VM's: writing it out is no change (it would replace the role).
  normalize: (i) => ({ ...i, roleName: i.roleName ?? i.vmName }),
});
