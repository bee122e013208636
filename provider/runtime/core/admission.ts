// Admission control (vSphere HA's policies, which Pacemaker and Proxmox lack). A protected
// resource is admitted only if the cluster could still restart every admitted resource after
// the failures the policy tolerates. Only admission is gated: failover itself is never refused
// by this check. Pure; O(H log H + candidates).
import type { AdmissionPolicy, ClusterSpec } from "./spec";

export interface Capacity {
  cpu: number;
  mem: number;
}

export interface AdmissionVerdict {
  ok: boolean;
  /** Why not, naming the numbers. */
  reason?: string;
}

/** Capacity that counts for admission: usable hosts, minus failover-only hosts. */
function usable(
  spec: ClusterSpec,
  hosts: readonly string[],
): Array<{ name: string; cpu: number; mem: number }> {
  const p = spec.admissionControl;
  const dedicated = new Set(p.policy === "dedicatedHosts" ? p.hosts : []);
  return hosts
    .filter((h) => !dedicated.has(h) && spec.hosts[h])
    .map((h) => ({ name: h, cpu: spec.hosts[h]!.cpu, mem: spec.hosts[h]!.memoryMiB }));
}

function sum(xs: Array<{ cpu: number; mem: number }>): Capacity {
  let cpu = 0;
  let mem = 0;
  for (const x of xs) {
    cpu += x.cpu;
    mem += x.mem;
  }
  return { cpu, mem };
}

/** Capacity left after losing the `n` largest hosts (by CPU and by memory, separately). */
export function capacityAfterFailures(hosts: Array<{ cpu: number; mem: number }>, n: number): Capacity {
  const total = sum(hosts);
  const cpus = hosts.map((h) => h.cpu).sort((a, b) => b - a);
  const mems = hosts.map((h) => h.mem).sort((a, b) => b - a);
  let cpu = total.cpu;
  let mem = total.mem;
  for (let i = 0; i < n && i < hosts.length; i++) {
    cpu -= cpus[i]!;
    mem -= mems[i]!;
  }
  return { cpu, mem };
}

/** What a policy leaves for running resources on `hosts`. */
export function admissibleCapacity(spec: ClusterSpec, hosts: readonly string[]): Capacity & { why: string } {
  const p: AdmissionPolicy = spec.admissionControl;
  const hs = usable(spec, hosts);
  const total = sum(hs);
  switch (p.policy) {
    case "disabled":
      return {
        cpu: Number.POSITIVE_INFINITY,
        mem: Number.POSITIVE_INFINITY,
        why: "admission control disabled",
      };
    case "hostFailures": {
      const c = capacityAfterFailures(hs, p.hostFailures);
      return { ...c, why: `after losing the ${p.hostFailures} largest of ${hs.length} online host(s)` };
    }
    case "percentage":
      return {
        cpu: (total.cpu * (100 - p.cpuPercent)) / 100,
        mem: (total.mem * (100 - p.memoryPercent)) / 100,
        why: `keeping ${p.cpuPercent}% cpu / ${p.memoryPercent}% memory of ${round(total.cpu)} cpu / ${round(total.mem)} MiB in reserve`,
      };
    case "dedicatedHosts":
      return { ...total, why: `on the ${hs.length} online host(s) that are not dedicated failover hosts` };
  }
}

/** Would admitting `extra` on top of `reserved` keep the policy? */
export function checkAdmission(
  spec: ClusterSpec,
  hosts: readonly string[],
  reserved: Capacity,
  name: string,
  extra: Capacity,
): AdmissionVerdict {
  const cap = admissibleCapacity(spec, hosts);
  const cpu = reserved.cpu + extra.cpu;
  const mem = reserved.mem + extra.mem;
  if (cpu <= cap.cpu + 1e-9 && mem <= cap.mem + 1e-9) return { ok: true };
  const p = spec.admissionControl;
  const policy = p.policy === "hostFailures" ? `hostFailures ${p.hostFailures}` : p.policy;
  return {
    ok: false,
    reason:
      `admission control (${policy}) refused ${name}: it needs ${round(extra.cpu)} cpu / ${round(extra.mem)} MiB, ` +
      `protected resources would then reserve ${round(cpu)} cpu / ${round(mem)} MiB, but only ` +
      `${round(Math.max(0, cap.cpu))} cpu / ${round(Math.max(0, cap.mem))} MiB may be used ${cap.why}`,
  };
}

/** How many host failures the cluster tolerates with `reserved` protected (largest hosts first). */
export function toleratedFailures(spec: ClusterSpec, hosts: readonly string[], reserved: Capacity): number {
  // every online host counts here, dedicated failover hosts included: they absorb failures
  const hs = hosts
    .filter((h) => spec.hosts[h])
    .map((h) => ({ cpu: spec.hosts[h]!.cpu, mem: spec.hosts[h]!.memoryMiB }));
  let k = 0;
  while (k < hs.length) {
    const c = capacityAfterFailures(hs, k + 1);
    if (c.cpu + 1e-9 < reserved.cpu || c.mem + 1e-9 < reserved.mem) break;
    k++;
  }
  return k;
}

/** One line for the sentence: the current failover headroom. */
export function headroom(spec: ClusterSpec, hosts: readonly string[], reserved: Capacity): string {
  const tol = toleratedFailures(spec, hosts, reserved);
  const cap = admissibleCapacity(spec, hosts);
  const p = spec.admissionControl;
  const need = p.policy === "hostFailures" ? ` (policy needs ${p.hostFailures})` : "";
  const spare =
    p.policy === "disabled"
      ? ""
      : `; ${round(Math.max(0, cap.cpu - reserved.cpu))} cpu / ${round(Math.max(0, cap.mem - reserved.mem))} MiB admissible`;
  return `failover headroom: tolerates ${tol} host failure(s)${need}${spare}`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
