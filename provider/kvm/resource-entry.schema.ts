// The fields every KVM resource kind shares (VMs, virtual IPs, OCF resources): protection,
// priority, reservations, placement, monitoring, isolation response. Mirrors the runtime's
// ResourceSchema (provider/runtime/core/spec.ts), with every field optional so that unset fields
// take the cluster's resourceDefaults or the runtime's documented defaults.
import { z } from "zod";
import { timeoutsInput } from "../core/inputs";
import { clusterName, clusterRefShape, insecureOutputShape } from "./connection.schema";

const ms = z.number().int().positive();
const names = z.array(clusterName);

export const MonitoringInputSchema = z.strictObject({
  sensitivity: z.enum(["low", "medium", "high", "custom"]).optional(),
  intervalMs: ms.optional().describe("How often the monitor runs (pcs `op monitor interval=`)."),
  guestHeartbeat: z.boolean().optional().describe("Also require the QEMU guest agent to answer."),
  failureIntervalMs: ms.optional(),
  minUptimeMs: z.number().int().nonnegative().optional(),
  maxRestarts: z.number().int().nonnegative().optional(),
  restartWindowMs: ms.optional(),
  maxRelocations: z.number().int().nonnegative().optional(),
});

export const PlacementInputSchema = z.strictObject({
  preferredHosts: names.optional(),
  bannedHosts: names.optional(),
  colocateWith: names.optional(),
  antiAffinityGroup: clusterName.optional(),
  after: names.optional().describe("Start only after these resources are started."),
});

export const entryShape = {
  ...clusterRefShape,
  name: clusterName.optional().describe("Name in the cluster; defaults to the Pulumi resource name."),
  state: z.enum(["started", "stopped", "disabled"]).default("started"),
  priority: z.enum(["lowest", "low", "medium", "high", "highest"]).optional(),
  reservation: z
    .strictObject({ cpu: z.number().nonnegative(), memoryMiB: z.number().int().nonnegative() })
    .optional(),
  placement: PlacementInputSchema.optional(),
  monitoring: MonitoringInputSchema.optional(),
  isolationResponse: z.enum(["stop", "kill", "none"]).optional(),
  failback: z.boolean().optional(),
  adopt: z
    .boolean()
    .optional()
    .describe(
      "Take over an entry of this name that already exists in the spec (made outside Pulumi or by another " +
        "stack; pulumi import does not work for dynamic resources), with this program's settings. An " +
        "adopted entry is released (left in the spec, its VM running) when the resource is deleted.",
    ),
  timeouts: timeoutsInput.describe(
    'Per-operation deadlines, e.g. { create: "5m" } (customTimeouts does not reach dynamic providers).',
  ),
};

/** Observed status (outputs): never compared as drift. */
export const observedShape = {
  status: z.string().describe("The runtime's state for it: started, recovering, error, ..."),
  host: z.string().optional().describe("Host it is assigned to."),
  runningOn: z.array(z.string()).describe("Hosts whose hypervisor reports it running."),
  reason: z.string().optional().describe("Why it is in its state, in the runtime's words."),
  ...insecureOutputShape,
};

export const ObservedSchema = z.strictObject(observedShape);
