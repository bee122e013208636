// vim25's ClusterDasConfigInfo as TypeScript, with its encoding (fields in WSDL order, xsi:type on
// polymorphic values) and its decoding from parsed XML. Pure: no IO.
import {
  bool,
  child,
  int,
  list,
  type MoRef,
  moref,
  ref,
  str,
  text,
  typed,
  type XmlObject,
  type XmlValue,
  xsiType,
} from "../client/xml";

export interface VmToolsMonitoring {
  enabled?: boolean;
  vmMonitoring?: string;
  clusterSettings?: boolean;
  failureInterval?: number;
  minUpTime?: number;
  maxFailures?: number;
  maxFailureWindow?: number;
}

export interface VmComponentProtection {
  vmStorageProtectionForAPD?: string;
  enableAPDTimeoutForHosts?: boolean;
  vmTerminateDelayForAPDSec?: number;
  vmReactionOnAPDCleared?: string;
  vmStorageProtectionForPDL?: string;
}

export interface DasVmSettings {
  restartPriority?: string;
  restartPriorityTimeout?: number;
  isolationResponse?: string;
  vmToolsMonitoringSettings?: VmToolsMonitoring;
  vmComponentProtectionSettings?: VmComponentProtection;
}

export type AdmissionPolicy =
  | {
      type: "ClusterFailoverLevelAdmissionControlPolicy";
      resourceReductionToToleratePercent?: number;
      failoverLevel: number;
      slotPolicy?: { cpu: number; memory: number };
    }
  | {
      type: "ClusterFailoverResourcesAdmissionControlPolicy";
      resourceReductionToToleratePercent?: number;
      cpuFailoverResourcesPercent: number;
      memoryFailoverResourcesPercent: number;
      failoverLevel?: number;
      autoComputePercentages?: boolean;
    }
  | {
      type: "ClusterFailoverHostAdmissionControlPolicy";
      resourceReductionToToleratePercent?: number;
      failoverHosts: MoRef[];
      failoverLevel?: number;
    }
  | { type: "unknown"; xsiType: string; resourceReductionToToleratePercent?: number };

export interface DasOption {
  key: string;
  /** "" removes the option (with modify: true). */
  value: string;
}

export interface DasConfig {
  enabled?: boolean;
  vmMonitoring?: string;
  hostMonitoring?: string;
  vmComponentProtecting?: string;
  admissionControlPolicy?: AdmissionPolicy;
  admissionControlEnabled?: boolean;
  defaultVmSettings?: DasVmSettings;
  option?: DasOption[];
  heartbeatDatastore?: MoRef[];
  hBDatastoreCandidatePolicy?: string;
}

// ---- encoding ----

function toolsXml(t: VmToolsMonitoring | undefined): XmlObject | undefined {
  if (!t) return undefined;
  return {
    enabled: t.enabled,
    vmMonitoring: t.vmMonitoring,
    clusterSettings: t.clusterSettings,
    failureInterval: t.failureInterval,
    minUpTime: t.minUpTime,
    maxFailures: t.maxFailures,
    maxFailureWindow: t.maxFailureWindow,
  };
}

function vmcpXml(p: VmComponentProtection | undefined): XmlObject | undefined {
  if (!p) return undefined;
  return {
    vmStorageProtectionForAPD: p.vmStorageProtectionForAPD,
    enableAPDTimeoutForHosts: p.enableAPDTimeoutForHosts,
    vmTerminateDelayForAPDSec: p.vmTerminateDelayForAPDSec,
    vmReactionOnAPDCleared: p.vmReactionOnAPDCleared,
    vmStorageProtectionForPDL: p.vmStorageProtectionForPDL,
  };
}

export function vmSettingsXml(s: DasVmSettings | undefined): XmlObject | undefined {
  if (!s) return undefined;
  return {
    restartPriority: s.restartPriority,
    restartPriorityTimeout: s.restartPriorityTimeout,
    isolationResponse: s.isolationResponse,
    vmToolsMonitoringSettings: toolsXml(s.vmToolsMonitoringSettings),
    vmComponentProtectionSettings: vmcpXml(s.vmComponentProtectionSettings),
  };
}

function policyXml(p: AdmissionPolicy | undefined): XmlObject | undefined {
  if (!p) return undefined;
  const base = { resourceReductionToToleratePercent: p.resourceReductionToToleratePercent };
  switch (p.type) {
    case "ClusterFailoverLevelAdmissionControlPolicy":
      return {
        $type: p.type,
        ...base,
        failoverLevel: p.failoverLevel,
        slotPolicy: p.slotPolicy
          ? { $type: "ClusterFixedSizeSlotPolicy", cpu: p.slotPolicy.cpu, memory: p.slotPolicy.memory }
          : undefined,
      };
    case "ClusterFailoverResourcesAdmissionControlPolicy":
      return {
        $type: p.type,
        ...base,
        cpuFailoverResourcesPercent: p.cpuFailoverResourcesPercent,
        memoryFailoverResourcesPercent: p.memoryFailoverResourcesPercent,
        failoverLevel: p.failoverLevel,
        autoComputePercentages: p.autoComputePercentages,
      };
    case "ClusterFailoverHostAdmissionControlPolicy":
      return {
        $type: p.type,
        ...base,
        failoverHosts: p.failoverHosts.map(ref),
        failoverLevel: p.failoverLevel,
      };
    case "unknown":
      throw new TypeError(`cannot send an admission control policy of unknown type ${p.xsiType}`);
  }
}

/** ClusterDasConfigInfo, fields in WSDL sequence order. */
export function dasConfigXml(d: DasConfig): XmlObject {
  return {
    enabled: d.enabled,
    vmMonitoring: d.vmMonitoring,
    hostMonitoring: d.hostMonitoring,
    vmComponentProtecting: d.vmComponentProtecting,
    admissionControlPolicy: policyXml(d.admissionControlPolicy),
    admissionControlEnabled: d.admissionControlEnabled,
    defaultVmSettings: vmSettingsXml(d.defaultVmSettings),
    option: d.option?.map(
      (o): XmlValue => ({ $type: "OptionValue", key: o.key, value: typed("xsd:string", o.value) }),
    ),
    heartbeatDatastore: d.heartbeatDatastore?.map(ref),
    hBDatastoreCandidatePolicy: d.hBDatastoreCandidatePolicy,
  };
}

// ---- decoding ----

function tools(n: unknown): VmToolsMonitoring | undefined {
  if (!n || typeof n !== "object") return undefined;
  return {
    enabled: bool(n, "enabled"),
    vmMonitoring: str(n, "vmMonitoring"),
    clusterSettings: bool(n, "clusterSettings"),
    failureInterval: int(n, "failureInterval"),
    minUpTime: int(n, "minUpTime"),
    maxFailures: int(n, "maxFailures"),
    maxFailureWindow: int(n, "maxFailureWindow"),
  };
}

function vmcp(n: unknown): VmComponentProtection | undefined {
  if (!n || typeof n !== "object") return undefined;
  return {
    vmStorageProtectionForAPD: str(n, "vmStorageProtectionForAPD"),
    enableAPDTimeoutForHosts: bool(n, "enableAPDTimeoutForHosts"),
    vmTerminateDelayForAPDSec: int(n, "vmTerminateDelayForAPDSec"),
    vmReactionOnAPDCleared: str(n, "vmReactionOnAPDCleared"),
    vmStorageProtectionForPDL: str(n, "vmStorageProtectionForPDL"),
  };
}

export function parseVmSettings(n: unknown): DasVmSettings | undefined {
  if (!n || typeof n !== "object") return undefined;
  return {
    restartPriority: str(n, "restartPriority"),
    restartPriorityTimeout: int(n, "restartPriorityTimeout"),
    isolationResponse: str(n, "isolationResponse"),
    vmToolsMonitoringSettings: tools(child(n, "vmToolsMonitoringSettings")),
    vmComponentProtectionSettings: vmcp(child(n, "vmComponentProtectionSettings")),
  };
}

function parsePolicy(n: unknown): AdmissionPolicy | undefined {
  if (!n || typeof n !== "object") return undefined;
  const type = xsiType(n) ?? "";
  const rr = int(n, "resourceReductionToToleratePercent");
  switch (type) {
    case "ClusterFailoverLevelAdmissionControlPolicy": {
      const slot = child(n, "slotPolicy");
      return {
        type,
        resourceReductionToToleratePercent: rr,
        failoverLevel: int(n, "failoverLevel") ?? 1,
        slotPolicy:
          slot && typeof slot === "object"
            ? { cpu: int(slot, "cpu") ?? 0, memory: int(slot, "memory") ?? 0 }
            : undefined,
      };
    }
    case "ClusterFailoverResourcesAdmissionControlPolicy":
      return {
        type,
        resourceReductionToToleratePercent: rr,
        cpuFailoverResourcesPercent: int(n, "cpuFailoverResourcesPercent") ?? 0,
        memoryFailoverResourcesPercent: int(n, "memoryFailoverResourcesPercent") ?? 0,
        failoverLevel: int(n, "failoverLevel"),
        autoComputePercentages: bool(n, "autoComputePercentages"),
      };
    case "ClusterFailoverHostAdmissionControlPolicy":
      return {
        type,
        resourceReductionToToleratePercent: rr,
        failoverHosts: list(child(n, "failoverHosts"))
          .map(moref)
          .filter((r): r is MoRef => !!r),
        failoverLevel: int(n, "failoverLevel"),
      };
    default:
      return { type: "unknown", xsiType: type, resourceReductionToToleratePercent: rr };
  }
}

export function parseDasConfig(n: unknown): DasConfig {
  if (!n || typeof n !== "object") return {};
  return {
    enabled: bool(n, "enabled"),
    vmMonitoring: str(n, "vmMonitoring"),
    hostMonitoring: str(n, "hostMonitoring"),
    vmComponentProtecting: str(n, "vmComponentProtecting"),
    admissionControlPolicy: parsePolicy(child(n, "admissionControlPolicy")),
    admissionControlEnabled: bool(n, "admissionControlEnabled"),
    defaultVmSettings: parseVmSettings(child(n, "defaultVmSettings")),
    option: list(child(n, "option")).map((o) => ({
      key: str(o, "key") ?? "",
      value: text(child(o, "value")) ?? "",
    })),
    heartbeatDatastore: list(child(n, "heartbeatDatastore"))
      .map(moref)
      .filter((r): r is MoRef => !!r),
    hBDatastoreCandidatePolicy: str(n, "hBDatastoreCandidatePolicy"),
  };
}

/** One VM override (ClusterDasVmConfigInfo). */
export interface DasVmConfig {
  key: MoRef;
  dasSettings?: DasVmSettings;
}

export function parseDasVmConfigs(configEx: unknown): DasVmConfig[] {
  const out: DasVmConfig[] = [];
  for (const n of list(child(configEx, "dasVmConfig"))) {
    const key = moref(child(n, "key"));
    if (key) out.push({ key, dasSettings: parseVmSettings(child(n, "dasSettings")) });
  }
  return out;
}

/** A ClusterConfigSpecEx carrying only HA parts, for ReconfigureComputeResource_Task (modify: true). */
export interface ClusterSpecParts {
  dasConfig?: DasConfig;
  dasVmConfigSpec?: Array<{ operation: "add" | "edit" | "remove"; vm: MoRef; settings?: DasVmSettings }>;
}

export function clusterSpecXml(parts: ClusterSpecParts): XmlObject {
  return {
    $type: "ClusterConfigSpecEx",
    dasConfig: parts.dasConfig ? dasConfigXml(parts.dasConfig) : undefined,
    dasVmConfigSpec: parts.dasVmConfigSpec?.map(
      (s): XmlValue => ({
        operation: s.operation,
        removeKey: s.operation === "remove" ? typed("ManagedObjectReference", ref(s.vm)) : undefined,
        info:
          s.operation === "remove" ? undefined : { key: ref(s.vm), dasSettings: vmSettingsXml(s.settings) },
      }),
    ),
  };
}
