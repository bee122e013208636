// VmOverride inputs <-> a ClusterDasVmConfigInfo's dasSettings. Pure. "cluster" is vSphere's
// clusterRestartPriority / clusterIsolationResponse / clusterSettings=true.
import type { VmOverrideInputs } from "../resources/vm-override.schema";
import type { DasVmSettings } from "./das";
import { sensitivityFromValues, sensitivityValues, vmMonitoringFromApi, vmMonitoringToApi } from "./ha";

export function overrideToSettings(i: VmOverrideInputs): DasVmSettings {
  const own = i.vmMonitoring !== "cluster";
  const s = own && i.monitoringSensitivity ? sensitivityValues(i.monitoringSensitivity) : undefined;
  return {
    restartPriority: i.restartPriority === "cluster" ? "clusterRestartPriority" : i.restartPriority,
    restartPriorityTimeout: i.restartPriorityTimeout,
    isolationResponse: i.isolationResponse === "cluster" ? "clusterIsolationResponse" : i.isolationResponse,
    vmToolsMonitoringSettings: own
      ? {
          enabled: i.vmMonitoring !== "disabled",
          vmMonitoring: vmMonitoringToApi(i.vmMonitoring as "disabled" | "vmOnly" | "vmAndApp"),
          clusterSettings: false,
          ...(s ?? {}),
        }
      : { clusterSettings: true },
  };
}

export function settingsToOverride(
  base: Pick<VmOverrideInputs, "clusterId" | "vm">,
  s: DasVmSettings | undefined,
): Omit<VmOverrideInputs, "adopt"> {
  const t = s?.vmToolsMonitoringSettings;
  const own = t !== undefined && t.clusterSettings === false;
  const rp = s?.restartPriority;
  const ir = s?.isolationResponse;
  const hasValues = own && t.failureInterval !== undefined;
  return {
    ...base,
    restartPriority:
      !rp || rp === "clusterRestartPriority"
        ? "cluster"
        : (rp as Exclude<VmOverrideInputs["restartPriority"], "cluster">),
    restartPriorityTimeout: s?.restartPriorityTimeout ?? -1,
    isolationResponse:
      !ir || ir === "clusterIsolationResponse"
        ? "cluster"
        : (ir as Exclude<VmOverrideInputs["isolationResponse"], "cluster">),
    vmMonitoring: own ? (vmMonitoringFromApi(t.vmMonitoring) as VmOverrideInputs["vmMonitoring"]) : "cluster",
    ...(hasValues
      ? {
          monitoringSensitivity: sensitivityFromValues({
            failureInterval: t.failureInterval ?? 30,
            minUpTime: t.minUpTime ?? 120,
            maxFailures: t.maxFailures ?? 3,
            maxFailureWindow: t.maxFailureWindow ?? -1,
          }),
        }
      : {}),
  };
}
