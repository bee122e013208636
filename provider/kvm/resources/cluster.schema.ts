// kvm.Cluster: the `pcs cluster setup` of vmha. Writes the cluster spec document into etcd: hosts
// and their capacity, the timing policy, admission control and defaults for its resources.
import { z } from "zod";
import { timeoutsInput } from "../../core/inputs";
import { defineSchema } from "../../core/resource";
import { AdmissionSchema, TimingSchema } from "../../runtime/core/spec";
import { clusterName, EtcdConnectionSchema, insecureOutputShape } from "../connection.schema";
import { optionalInputs } from "../input-shape";

const hostName = clusterName;
const ms = z.number().int().positive();

export const HostInputSchema = z.strictObject({
  cpu: z.number().positive().describe("Schedulable vCPUs."),
  memoryMiB: z.number().int().positive().describe("Schedulable memory in MiB."),
  address: z
    .string()
    .regex(/^[A-Za-z0-9.:-]+$/, "must be a host name or IP address")
    .optional()
    .describe(
      "Where the other hosts reach this host's libvirt (live migration: qemu+tcp://<address>/system).",
    ),
  labels: z.record(z.string(), z.string()).optional(),
});

/** The runtime's timing fields (spec.ts), each optional: check() runs the runtime's rules on them. */
export const TimingInputSchema = optionalInputs(TimingSchema.shape);

export const ResourceDefaultsSchema = z.strictObject({
  isolationResponse: z.enum(["stop", "kill", "none"]).optional(),
  maxRestarts: z.number().int().nonnegative().optional(),
  restartWindowMs: ms.optional(),
  maxRelocations: z.number().int().nonnegative().optional(),
});

export const clusterSchema = defineSchema({
  key: "kvm:Cluster",
  module: "provider/kvm/resources/cluster",
  description: "A KVM HA cluster run by vmha-agent: hosts, timing, admission control (pcs cluster setup).",
  inputs: z.strictObject({
    name: clusterName.describe("Cluster name; the store prefix is /vmha/<name>/."),
    etcd: EtcdConnectionSchema,
    hosts: z
      .record(hostName, HostInputSchema)
      .refine((h) => Object.keys(h).length > 0, "needs at least one host"),
    timing: TimingInputSchema.optional(),
    admissionControl: AdmissionSchema.optional().describe("Default: tolerate 1 host failure."),
    resourceDefaults: ResourceDefaultsSchema.optional().describe(
      "Applied to a resource's fields it leaves unset, when that resource is written.",
    ),
    adopt: z
      .boolean()
      .default(false)
      .describe(
        "Take over a spec that already exists in etcd (pulumi import does not work for dynamic resources). " +
          "An adopted spec is released (left in etcd), never deleted, when the resource is deleted.",
      ),
    timeouts: timeoutsInput.describe('Per-operation deadlines, e.g. { create: "5m" }.'),
  }),
  outputs: z.strictObject({
    storePrefix: z.string(),
    ...insecureOutputShape,
  }),
  replaceOn: ["name"],
  deleteBeforeReplace: false,
  secretInputs: ["etcd"],
});
