// The cluster spec of the lab (what Pulumi writes in production): every host with the lab's
// fence device and its address, and `vms` tiny VMs.
import * as path from "node:path";
import type { ClusterSpecInput } from "../../../provider/runtime/core/spec";
import { BMC_PORT, hostIp, MGMT_IP, ROOT } from "./config";
import { labDomainXml } from "./domain";
import type { LabState } from "./state";

/** Folder of the lab's fence agent; lab agents have it on their PATH. */
export const LAB_BIN = path.join(ROOT, "tests", "lab", "bin");
/** The lab fence device's program, by name as for any fence-agents program (on the agents' PATH). */
export const FENCE_AGENT = "fence_vmha_lab";
/** The same program by absolute path, for callers outside the lab agents. */
export const FENCE_AGENT_PATH = path.join(LAB_BIN, FENCE_AGENT);
/** fence-agents style options of the lab device: the BMC's address on the management network. */
export const LAB_FENCE_PARAMS: Readonly<Record<string, string>> = {
  ipaddr: MGMT_IP,
  ipport: String(BMC_PORT),
};

export interface LabSpecOptions {
  vms: number;
  /** Override any timing field. */
  timing?: Partial<NonNullable<ClusterSpecInput["timing"]>>;
  /** Hosts without a fence device (self-fence path). */
  noFence?: string[];
  resources?: ClusterSpecInput["resources"];
  /** Prefer vm<i> on host i (round robin), so every host runs VMs. */
  spread?: boolean;
  /** Fields merged into the spec of individual VMs. */
  vmOverrides?: Record<string, Partial<NonNullable<ClusterSpecInput["resources"]>[string]>>;
}

export function vmName(i: number): string {
  return `vm${i}`;
}

export function labSpec(s: LabState, o: LabSpecOptions): ClusterSpecInput {
  const hosts: ClusterSpecInput["hosts"] = {};
  for (const h of s.hosts) {
    hosts[h] = {
      cpu: 8,
      memoryMiB: 8192,
      labels: { address: hostIp(h) },
      ...(o.noFence?.includes(h) ? {} : { fence: { agent: FENCE_AGENT, params: { ...LAB_FENCE_PARAMS } } }),
    };
  }
  const resources: NonNullable<ClusterSpecInput["resources"]> = { ...o.resources };
  for (let i = 1; i <= o.vms; i++) {
    resources[vmName(i)] = {
      kind: "vm",
      params: { domainXml: labDomainXml(vmName(i), s.kvm) },
      reservation: { cpu: 0.1, memoryMiB: 64 },
      monitoring: { intervalMs: 1000 },
      ...(o.spread ? { placement: { preferredHosts: [s.hosts[(i - 1) % s.hosts.length]!] } } : {}),
      ...o.vmOverrides?.[vmName(i)],
    };
  }
  return {
    version: 1,
    name: s.cluster,
    ...(o.timing ? { timing: o.timing } : {}),
    admissionControl: { policy: "disabled" },
    hosts,
    resources,
  };
}
