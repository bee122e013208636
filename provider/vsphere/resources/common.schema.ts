// Zod pieces shared by the vSphere resource schemas (zod only: Pulumi programs load these).
import { z } from "zod";

/** A managed-object id of a cluster, as `vsphere.ComputeCluster` or vmha's Cluster exports it. */
export const clusterId = z
  .string()
  .regex(/^domain-c\d+$/, 'must be a cluster managed-object id such as "domain-c7"')
  .describe("Managed-object id of the cluster (Cluster.clusterId, or vsphere.ComputeCluster's id).");

export const moid = (kind: string, example: string) =>
  z.string().regex(/^[a-z]+-[a-z]*\d+$/, `must be a ${kind} managed-object id such as "${example}"`);

export const restartPriority = z.enum(["disabled", "lowest", "low", "medium", "high", "highest"]);
export const isolationResponse = z.enum(["none", "powerOff", "shutdown"]);
export const vmMonitoring = z.enum(["disabled", "vmOnly", "vmAndApp"]);

/** vSphere's VM monitoring presets (vSphere Client "Monitoring sensitivity"). */
export const SENSITIVITY_PRESETS = {
  low: { failureInterval: 120, minUpTime: 480, maxFailures: 3, maxFailureWindow: 7 * 24 * 3600 },
  medium: { failureInterval: 60, minUpTime: 240, maxFailures: 3, maxFailureWindow: 24 * 3600 },
  high: { failureInterval: 30, minUpTime: 120, maxFailures: 3, maxFailureWindow: 3600 },
} as const;

export const customSensitivity = z.strictObject({
  failureInterval: z
    .number()
    .int()
    .min(1, "must be at least 1 second")
    .describe("Seconds without heartbeats before a VM is reset."),
  minUpTime: z
    .number()
    .int()
    .min(0, "must be 0 or more seconds")
    .describe("Seconds after power-on before heartbeats count."),
  maxFailures: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .describe("Resets allowed within maxFailureWindow."),
  maxFailureWindow: z
    .number()
    .int()
    .min(-1, "must be -1 (no window) or a number of seconds")
    .describe("Window in seconds for maxFailures; -1 means no window."),
});

export const sensitivity = z.union([z.enum(["low", "medium", "high"]), customSensitivity]);
