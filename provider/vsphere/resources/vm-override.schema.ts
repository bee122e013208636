// A VM's own vSphere HA settings (the monitored VM role): restart priority and timeout, isolation
// response, VM monitoring. One ClusterDasVmConfigInfo in the cluster's dasVmConfig.
import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { clusterId, isolationResponse, restartPriority, sensitivity, vmMonitoring } from "./common.schema";

export const vmOverrideSchema = defineSchema({
  key: "vsphere:VmOverride",
  module: "provider/vsphere/resources/vm-override",
  description: "Per-VM vSphere HA settings in a cluster (dasVmConfigSpec add/edit/remove).",
  inputs: z
    .strictObject({
      clusterId,
      vm: z
        .string()
        .min(1, "must name a VM")
        .describe('The VM: a managed-object id ("vm-42") or an inventory path ("DC0/vm/web-1").'),
      restartPriority: z
        .union([restartPriority, z.literal("cluster")])
        .default("cluster")
        .describe("'cluster' uses the cluster's default."),
      restartPriorityTimeout: z
        .number()
        .int()
        .min(-1, "must be -1 (cluster default) or 0 or more seconds")
        .default(-1),
      isolationResponse: z.union([isolationResponse, z.literal("cluster")]).default("cluster"),
      vmMonitoring: z.union([vmMonitoring, z.literal("cluster")]).default("cluster"),
      monitoringSensitivity: sensitivity.optional().describe("Only with vmMonitoring other than 'cluster'."),
      adopt: z
        .boolean()
        .default(false)
        .describe("Take over an override the VM already has (made outside Pulumi) instead of failing."),
    })
    .refine((o) => o.monitoringSensitivity === undefined || o.vmMonitoring !== "cluster", {
      message: "monitoringSensitivity needs vmMonitoring set (not 'cluster')",
      path: ["monitoringSensitivity"],
    }),
  outputs: z.strictObject({
    vmId: z.string(),
    vmName: z.string(),
  }),
  replaceOn: ["clusterId", "vm"],
  deleteBeforeReplace: true,
});

export type VmOverrideInputs = z.output<typeof vmOverrideSchema.inputs>;
