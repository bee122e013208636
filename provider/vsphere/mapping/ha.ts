// HaSettings inputs <-> the HA part of a cluster's dasConfig. Pure. HaSettings owns: enabled,
// hostMonitoring, vmMonitoring, vmComponentProtecting, defaultVmSettings, every das.* option,
// heartbeat datastores and their policy. It never touches admission control.
import type { z } from "zod";
import { type UnknownLive, unknownLive } from "../../core/changes";
import { SENSITIVITY_PRESETS, type sensitivity } from "../resources/common.schema";
import { API_DEFAULT_SENSITIVITY, type HaSettingsInputs } from "../resources/ha-settings.schema";
import type { DasConfig, DasOption } from "./das";

type Sensitivity = z.output<typeof sensitivity>;
type Custom = Exclude<Sensitivity, string>;

const VM_MONITORING = {
  disabled: "vmMonitoringDisabled",
  vmOnly: "vmMonitoringOnly",
  vmAndApp: "vmAndAppMonitoring",
} as const;

export function vmMonitoringToApi(v: keyof typeof VM_MONITORING): string {
  return VM_MONITORING[v];
}

/** The input value for a live `vmMonitoring`; unset is the API default ("disabled"). */
export function vmMonitoringFromApi(v: string | undefined): keyof typeof VM_MONITORING | UnknownLive {
  if (v === undefined || v === "") return "disabled";
  const hit = Object.entries(VM_MONITORING).find(([, api]) => api === v);
  return (hit?.[0] as keyof typeof VM_MONITORING | undefined) ?? unknownLive(v);
}

export function sensitivityValues(s: Sensitivity): Custom {
  return typeof s === "string" ? { ...SENSITIVITY_PRESETS[s] } : s;
}

/** A preset's name when the values are exactly a preset, else the values. */
export function sensitivityFromValues(v: Custom): Sensitivity {
  for (const [name, p] of Object.entries(SENSITIVITY_PRESETS)) {
    if (
      p.failureInterval === v.failureInterval &&
      p.minUpTime === v.minUpTime &&
      p.maxFailures === v.maxFailures &&
      p.maxFailureWindow === v.maxFailureWindow
    ) {
      return name as keyof typeof SENSITIVITY_PRESETS;
    }
  }
  return v;
}

const ISOLATION_ADDRESS = /^das\.isolationaddress(\d+)$/i;
const USE_DEFAULT_ADDRESS = /^das\.usedefaultisolationaddress$/i;

/** The das.* options these inputs want, in a stable order. */
export function desiredOptions(i: HaSettingsInputs): DasOption[] {
  const out: DasOption[] = i.isolationAddresses.map((a, n) => ({
    key: `das.isolationaddress${n}`,
    value: a,
  }));
  if (i.isolationAddresses.length > 0) out.push({ key: "das.usedefaultisolationaddress", value: "false" });
  for (const k of Object.keys(i.advancedOptions).sort())
    out.push({ key: k, value: i.advancedOptions[k] ?? "" });
  return out;
}

/**
 * Options to send: the desired ones, plus every das.* option present now but no longer wanted,
 * sent with an empty value, which removes it.
 */
export function optionChanges(desired: DasOption[], live: DasOption[]): DasOption[] {
  const want = new Set(desired.map((o) => o.key.toLowerCase()));
  const removed = live
    .filter((o) => /^das\./i.test(o.key) && !want.has(o.key.toLowerCase()))
    .map((o) => ({ key: o.key, value: "" }));
  return [...desired, ...removed];
}

/** The dasConfig fields HaSettings sends (modify: true). */
export function haToDas(i: HaSettingsInputs, liveOptions: DasOption[] = []): DasConfig {
  const s = sensitivityValues(i.monitoringSensitivity);
  const vmcp = i.vmComponentProtection;
  return {
    enabled: i.enabled,
    vmMonitoring: vmMonitoringToApi(i.vmMonitoring),
    hostMonitoring: i.hostMonitoring,
    vmComponentProtecting: vmcp.enabled ? "enabled" : "disabled",
    defaultVmSettings: {
      restartPriority: i.restartPriority,
      restartPriorityTimeout: i.restartPriorityTimeout,
      isolationResponse: i.isolationResponse,
      vmToolsMonitoringSettings: {
        enabled: i.vmMonitoring !== "disabled",
        vmMonitoring: vmMonitoringToApi(i.vmMonitoring),
        clusterSettings: true,
        failureInterval: s.failureInterval,
        minUpTime: s.minUpTime,
        maxFailures: s.maxFailures,
        maxFailureWindow: s.maxFailureWindow,
      },
      vmComponentProtectionSettings: {
        vmStorageProtectionForAPD: vmcp.apdResponse,
        enableAPDTimeoutForHosts: vmcp.apdTimeoutForHosts,
        vmTerminateDelayForAPDSec: vmcp.apdDelaySeconds,
        vmReactionOnAPDCleared: vmcp.apdRecovery,
        vmStorageProtectionForPDL: vmcp.pdlResponse,
      },
    },
    option: optionChanges(desiredOptions(i), liveOptions),
    heartbeatDatastore: i.heartbeatDatastores.datastores.map((value) => ({ type: "Datastore", value })),
    hBDatastoreCandidatePolicy: i.heartbeatDatastores.policy,
  };
}

/**
 * An enum field read back: the API default when vCenter recorded nothing, the value when vmha
 * knows it, else `unknown:<value>`, so that it shows up as drift instead of being hidden. The
 * cast is the point: the value is outside the input type, which is what makes it drift.
 */
function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], fallback: T): T {
  if (v === undefined || v === "") return fallback;
  return (allowed as readonly string[]).includes(v) ? (v as T) : (unknownLive(v) as T);
}

/**
 * Reads HaSettings back from a live dasConfig; absent fields are the API's defaults.
 *
 * `enableAPDTimeoutForHosts` is write-only: the vim25 reference says "this property is not
 * persisted by vSphere backend", so a real vCenter never returns what was sent. Comparing it would
 * report drift on every run for `apdTimeoutForHosts: true`; the declared value stands instead.
 */
/**
 * A list whose order means nothing to vCenter (heartbeat datastores): the declared order when the
 * live list holds the same members, else the live list. vCenter returns its own order, which read
 * in order was a false drift (review finding 16).
 */
export function sameSet(live: string[], declared: readonly string[] | undefined): string[] {
  return declared && sameMembers(live, declared) ? [...declared] : live;
}

/** The same members, in any order (each counted). */
export function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}

export function dasToHa(
  clusterId: string,
  d: DasConfig,
  declared?: Partial<Pick<HaSettingsInputs, "vmComponentProtection" | "heartbeatDatastores">>,
): HaSettingsInputs {
  const vm = d.defaultVmSettings ?? {};
  const t = vm.vmToolsMonitoringSettings ?? {};
  const p = vm.vmComponentProtectionSettings ?? {};
  const addresses: Array<[number, string]> = [];
  const advanced: Record<string, string> = {};
  for (const o of d.option ?? []) {
    // A key kept with an empty value is an unset option (vmha removes options by sending them
    // empty; a vCenter that keeps the key that way has still removed the setting).
    if (o.value === "") continue;
    const m = ISOLATION_ADDRESS.exec(o.key);
    if (m) addresses.push([Number(m[1]), o.value]);
    else if (USE_DEFAULT_ADDRESS.test(o.key) && o.value === "false") continue;
    else if (/^das\./i.test(o.key)) advanced[o.key] = o.value;
  }
  return {
    clusterId,
    enabled: d.enabled ?? false,
    hostMonitoring: oneOf(d.hostMonitoring, ["enabled", "disabled"] as const, "enabled"),
    vmMonitoring: vmMonitoringFromApi(d.vmMonitoring) as HaSettingsInputs["vmMonitoring"],
    monitoringSensitivity: sensitivityFromValues({
      failureInterval: t.failureInterval ?? API_DEFAULT_SENSITIVITY.failureInterval,
      minUpTime: t.minUpTime ?? API_DEFAULT_SENSITIVITY.minUpTime,
      maxFailures: t.maxFailures ?? API_DEFAULT_SENSITIVITY.maxFailures,
      maxFailureWindow: t.maxFailureWindow ?? API_DEFAULT_SENSITIVITY.maxFailureWindow,
    }),
    isolationResponse: oneOf(vm.isolationResponse, ["none", "powerOff", "shutdown"] as const, "powerOff"),
    restartPriority: oneOf(
      vm.restartPriority,
      ["disabled", "lowest", "low", "medium", "high", "highest"] as const,
      "medium",
    ),
    restartPriorityTimeout: vm.restartPriorityTimeout ?? 600,
    heartbeatDatastores: {
      policy: oneOf(
        d.hBDatastoreCandidatePolicy,
        ["allFeasibleDs", "userSelectedDs", "allFeasibleDsWithUserPreference"] as const,
        "allFeasibleDsWithUserPreference",
      ),
      datastores: sameSet(
        (d.heartbeatDatastore ?? []).map((r) => r.value),
        declared?.heartbeatDatastores?.datastores,
      ),
    },
    isolationAddresses: addresses.sort((a, b) => a[0] - b[0]).map(([, a]) => a),
    advancedOptions: advanced,
    vmComponentProtection: {
      enabled: d.vmComponentProtecting === "enabled",
      apdResponse: oneOf(
        p.vmStorageProtectionForAPD,
        ["disabled", "warning", "restartConservative", "restartAggressive"] as const,
        "disabled",
      ),
      apdDelaySeconds: p.vmTerminateDelayForAPDSec ?? 180,
      apdRecovery: oneOf(p.vmReactionOnAPDCleared, ["none", "reset"] as const, "none"),
      pdlResponse: oneOf(
        p.vmStorageProtectionForPDL,
        ["disabled", "warning", "restartAggressive"] as const,
        "disabled",
      ),
      apdTimeoutForHosts: declared?.vmComponentProtection?.apdTimeoutForHosts ?? false,
    },
  };
}
