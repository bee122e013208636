// AdmissionControl inputs <-> admissionControlEnabled + admissionControlPolicy. Pure.
import type { AdmissionControlInputs, AdmissionPolicyInput } from "../resources/admission-control.schema";
import type { AdmissionPolicy, DasConfig } from "./das";

/** What vSphere sends back for an automatic percentage it computed, when vmha sent a placeholder. */
const AUTO_PLACEHOLDER = 100;

export function admissionToDas(i: AdmissionControlInputs): DasConfig {
  const p = i.policy;
  const rr = i.performanceDegradationTolerance;
  switch (p.type) {
    case "disabled":
      // vCenter keeps the previous policy when admission control is off; so does vmha.
      return { admissionControlEnabled: false };
    case "hostFailures":
      return {
        admissionControlEnabled: true,
        admissionControlPolicy: {
          type: "ClusterFailoverLevelAdmissionControlPolicy",
          resourceReductionToToleratePercent: rr,
          failoverLevel: p.hostFailuresToTolerate,
          ...(p.slotSize ? { slotPolicy: { cpu: p.slotSize.cpuMhz, memory: p.slotSize.memoryMb } } : {}),
        },
      };
    case "percentage": {
      const auto = p.hostFailuresToTolerate !== undefined;
      return {
        admissionControlEnabled: true,
        admissionControlPolicy: {
          type: "ClusterFailoverResourcesAdmissionControlPolicy",
          resourceReductionToToleratePercent: rr,
          cpuFailoverResourcesPercent: p.cpuPercent ?? AUTO_PLACEHOLDER,
          memoryFailoverResourcesPercent: p.memoryPercent ?? AUTO_PLACEHOLDER,
          ...(auto ? { failoverLevel: p.hostFailuresToTolerate } : {}),
          autoComputePercentages: auto,
        },
      };
    }
    case "dedicatedHosts":
      return {
        admissionControlEnabled: true,
        admissionControlPolicy: {
          type: "ClusterFailoverHostAdmissionControlPolicy",
          resourceReductionToToleratePercent: rr,
          failoverHosts: p.hosts.map((value) => ({ type: "HostSystem", value })),
          // The number of host failures to tolerate, independent of how many hosts are dedicated.
          failoverLevel: p.hostFailuresToTolerate,
        },
      };
  }
}

/** The policy as vmha's input shape; undefined for a policy type vmha does not model. */
export function policyFromApi(
  p: AdmissionPolicy | undefined,
): Exclude<AdmissionPolicyInput, { type: "disabled" }> | undefined {
  switch (p?.type) {
    case "ClusterFailoverLevelAdmissionControlPolicy":
      return {
        type: "hostFailures",
        hostFailuresToTolerate: p.failoverLevel,
        ...(p.slotPolicy ? { slotSize: { cpuMhz: p.slotPolicy.cpu, memoryMb: p.slotPolicy.memory } } : {}),
      };
    case "ClusterFailoverResourcesAdmissionControlPolicy":
      // The API's default for an unset autoComputePercentages is true (vSphere 6.5+): a policy
      // written by a client that never set it computes its percentages from failoverLevel.
      return (p.autoComputePercentages ?? true)
        ? { type: "percentage", hostFailuresToTolerate: p.failoverLevel ?? 1 }
        : {
            type: "percentage",
            cpuPercent: p.cpuFailoverResourcesPercent,
            memoryPercent: p.memoryFailoverResourcesPercent,
          };
    case "ClusterFailoverHostAdmissionControlPolicy":
      return {
        type: "dedicatedHosts",
        hosts: p.failoverHosts.map((h) => h.value),
        hostFailuresToTolerate: p.failoverLevel ?? 1,
      };
    default:
      return undefined;
  }
}

export interface AdmissionReadBack {
  inputs: AdmissionControlInputs;
  retainedPolicy?: string;
}

/**
 * Reads admission control back. vSphere's API default (no policy recorded) is one host failure.
 * When admission control is off, the policy vCenter still keeps is reported as `retainedPolicy`.
 */
export function dasToAdmission(clusterId: string, d: DasConfig, declaredTolerance = 100): AdmissionReadBack {
  const api = d.admissionControlPolicy;
  const policy = policyFromApi(api);
  const rr = api?.resourceReductionToToleratePercent ?? 100;
  const enabled = d.admissionControlEnabled ?? true;
  if (!enabled) {
    return {
      // The tolerance is not in effect while disabled: the declared value stands.
      inputs: { clusterId, policy: { type: "disabled" }, performanceDegradationTolerance: declaredTolerance },
      ...(api ? { retainedPolicy: JSON.stringify(policy ?? { type: api.type }) } : {}),
    };
  }
  const unknown = api?.type === "unknown" ? api.xsiType : undefined;
  if (unknown)
    throw new TypeError(
      `cluster ${clusterId} has an admission control policy vmha does not model: ${unknown}`,
    );
  return {
    inputs: {
      clusterId,
      policy: policy ?? { type: "hostFailures", hostFailuresToTolerate: 1 },
      performanceDegradationTolerance: rr,
    },
  };
}
