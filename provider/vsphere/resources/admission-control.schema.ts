// vSphere HA admission control of a cluster: how much capacity is held back so VMs of failed hosts
// can restart. Writes only admissionControlEnabled and admissionControlPolicy (modify), so
// HaSettings can manage the rest of dasConfig beside it.
import { z } from "zod";
import { defineSchema } from "../../core/resource";
import { clusterId, moid } from "./common.schema";

const failures = z.number().int().min(1, "must be at least 1 host").max(31, "must be at most 31 hosts");
const percent = z.number().int().min(0, "must be 0-100").max(100, "must be 0-100");

export const admissionPolicy = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("hostFailures"),
    hostFailuresToTolerate: failures.default(1),
    slotSize: z
      .strictObject({
        cpuMhz: z.number().int().min(1, "must be at least 1 MHz"),
        memoryMb: z.number().int().min(1, "must be at least 1 MB"),
      })
      .optional()
      .describe("Explicit slot size; omitted: vSphere computes it from the largest reservation."),
  }),
  z
    .strictObject({
      type: z.literal("percentage"),
      cpuPercent: percent.optional(),
      memoryPercent: percent.optional(),
      hostFailuresToTolerate: failures
        .optional()
        .describe("Compute the percentages from this many host failures."),
    })
    .refine((p) => (p.cpuPercent === undefined) === (p.memoryPercent === undefined), {
      message: "give both cpuPercent and memoryPercent, or neither",
      path: ["memoryPercent"],
    })
    .refine((p) => (p.cpuPercent === undefined) !== (p.hostFailuresToTolerate === undefined), {
      message:
        "give either explicit cpuPercent/memoryPercent or hostFailuresToTolerate (automatic percentages), not both",
      path: ["hostFailuresToTolerate"],
    }),
  z.strictObject({
    type: z.literal("dedicatedHosts"),
    hosts: z.array(moid("host", "host-21")).min(1, "name at least one failover host"),
    hostFailuresToTolerate: failures
      .default(1)
      .describe("Host failures to tolerate (vim25 failoverLevel; API default 1), independent of hosts."),
  }),
  z.strictObject({ type: z.literal("disabled") }),
]);

export const admissionControlSchema = defineSchema({
  key: "vsphere:AdmissionControl",
  module: "provider/vsphere/resources/admission-control",
  description: "vSphere HA admission control policy of a cluster.",
  inputs: z.strictObject({
    clusterId,
    policy: admissionPolicy.default({ type: "hostFailures", hostFailuresToTolerate: 1 }),
    performanceDegradationTolerance: percent
      .default(100)
      .describe("Percent of performance degradation VMs may suffer after a failover (100 = no warning)."),
  }),
  outputs: z.strictObject({
    clusterName: z.string(),
    /** The policy vCenter keeps while admission control is disabled ("disabled" shows nothing else). */
    retainedPolicy: z.string().optional(),
    /** This resource's token in the cluster's vmha.AdmissionControl custom attribute (who manages it now). */
    owner: z.string().optional(),
    /** The admission control the cluster had before any vmha resource managed it; a delete restores it. */
    before: z.strictObject({ policy: admissionPolicy, performanceDegradationTolerance: percent }).optional(),
  }),
  replaceOn: ["clusterId"],
});

export type AdmissionControlInputs = z.output<typeof admissionControlSchema.inputs>;
export type AdmissionPolicyInput = z.output<typeof admissionPolicy>;
