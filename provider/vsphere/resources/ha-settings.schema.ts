// vSphere HA (FDM) settings of a cluster: host and VM monitoring, isolation response, restart
// priority, heartbeat datastores, isolation addresses, das.* options and VM component protection.
// Defaults are the vSphere API's own (see README: terraform's vsphere_compute_cluster differs on
// isolation response, "none" there, and on VMCP, enabled there).
import { isIP } from "node:net";
import { z } from "zod";
import { defineSchema } from "../../core/resource";
import {
  clusterId,
  isolationResponse,
  moid,
  restartPriority,
  sensitivity,
  vmMonitoring,
} from "./common.schema";

const MANAGED_OPTIONS = /^das\.(isolationaddress\d+|usedefaultisolationaddress)$/i;

export const API_DEFAULT_SENSITIVITY = {
  failureInterval: 30,
  minUpTime: 120,
  maxFailures: 3,
  maxFailureWindow: -1,
};

export const haSettingsSchema = defineSchema({
  key: "vsphere:HaSettings",
  module: "provider/vsphere/resources/ha-settings",
  description:
    "vSphere HA settings of a cluster. Writes only its own dasConfig fields (modify), so AdmissionControl can manage admission control beside it.",
  inputs: z.strictObject({
    clusterId,
    enabled: z.boolean().default(true).describe("Turn vSphere HA on."),
    hostMonitoring: z
      .enum(["enabled", "disabled"])
      .default("enabled")
      .describe("Restart VMs when a host fails."),
    vmMonitoring: vmMonitoring
      .default("disabled")
      .describe("VM (guest heartbeat) and application monitoring."),
    monitoringSensitivity: sensitivity
      .default(API_DEFAULT_SENSITIVITY)
      .describe(
        "low / medium / high (failure interval 120/60/30 s, min uptime 480/240/120 s, 3 resets in 7 days/24 h/1 h), or custom values. Default: the API's 30 s / 120 s / 3 resets / no window.",
      ),
    isolationResponse: isolationResponse
      .default("powerOff")
      .describe("What a host isolated from the cluster does with its VMs (API default powerOff)."),
    restartPriority: restartPriority.default("medium"),
    restartPriorityTimeout: z
      .number()
      .int()
      .min(0, "must be 0 or more seconds")
      .default(600)
      .describe("Seconds to wait for higher-priority VMs before starting the next priority."),
    heartbeatDatastores: z
      .strictObject({
        policy: z
          .enum(["allFeasibleDs", "userSelectedDs", "allFeasibleDsWithUserPreference"])
          .default("allFeasibleDsWithUserPreference"),
        datastores: z.array(moid("datastore", "datastore-15")).default([]),
      })
      .refine((h) => h.policy !== "userSelectedDs" || h.datastores.length > 0, {
        message: "policy userSelectedDs needs at least one datastore",
        path: ["datastores"],
      })
      .default({ policy: "allFeasibleDsWithUserPreference", datastores: [] }),
    isolationAddresses: z
      .array(z.string().refine((a) => isIP(a) !== 0, "must be an IPv4 or IPv6 address"))
      .max(10, "vSphere HA accepts at most 10 isolation addresses")
      .default([])
      .describe(
        "Addresses pinged to detect isolation (das.isolationaddressN; turns off das.usedefaultisolationaddress).",
      ),
    advancedOptions: z
      .record(z.string(), z.string().min(1, "must not be empty (remove the key instead)"))
      .superRefine((rec, ctx) => {
        for (const k of Object.keys(rec)) {
          if (!/^das\./.test(k))
            ctx.addIssue({
              code: "custom",
              path: [k],
              message: 'HA advanced option names start with "das."',
            });
          else if (MANAGED_OPTIONS.test(k))
            ctx.addIssue({ code: "custom", path: [k], message: "set this through isolationAddresses" });
        }
      })
      .default({})
      .describe("HA advanced options (das.*)."),
    vmComponentProtection: z
      .strictObject({
        enabled: z.boolean().default(false),
        apdResponse: z
          .enum(["disabled", "warning", "restartConservative", "restartAggressive"])
          .default("disabled"),
        apdDelaySeconds: z.number().int().min(0, "must be 0 or more seconds").default(180),
        apdRecovery: z.enum(["none", "reset"]).default("none"),
        pdlResponse: z.enum(["disabled", "warning", "restartAggressive"]).default("disabled"),
        apdTimeoutForHosts: z.boolean().default(false),
      })
      .default({
        enabled: false,
        apdResponse: "disabled",
        apdDelaySeconds: 180,
        apdRecovery: "none",
        pdlResponse: "disabled",
        apdTimeoutForHosts: false,
      })
      .describe(
        "VM component protection: responses to all-paths-down (APD) and permanent device loss (PDL).",
      ),
  }),
  outputs: z.strictObject({
    clusterName: z.string(),
    /** This resource's token in the cluster's vmha.HaSettings custom attribute (who manages HA now). */
    owner: z.string().optional(),
    /** Whether HA was on before any vmha HaSettings managed the cluster; a delete then leaves it on. */
    haEnabledBefore: z.boolean().optional(),
  }),
  replaceOn: ["clusterId"],
  // vCenter keeps isolation addresses as a set (das.isolationaddress0..9): a reorder is no change
  setLike: ["isolationAddresses"],
});

export type HaSettingsInputs = z.output<typeof haSettingsSchema.inputs>;
