// Admission-control capacity, recomputed independently of core/admission.ts for the checker.
import type { ClusterSpec } from "../core/spec";

export function policyCapacity(spec: ClusterSpec, hosts: string[]): { cpu: number; mem: number } {
  const p = spec.admissionControl;
  const dedicated = new Set(p.policy === "dedicatedHosts" ? p.hosts : []);
  const hs = hosts.filter((h) => !dedicated.has(h)).map((h) => spec.hosts[h]!);
  const cpu = hs.reduce((a, h) => a + h.cpu, 0);
  const mem = hs.reduce((a, h) => a + h.memoryMiB, 0);
  if (p.policy === "disabled") return { cpu: Number.POSITIVE_INFINITY, mem: Number.POSITIVE_INFINITY };
  if (p.policy === "percentage")
    return { cpu: (cpu * (100 - p.cpuPercent)) / 100, mem: (mem * (100 - p.memoryPercent)) / 100 };
  if (p.policy === "dedicatedHosts") return { cpu, mem };
  const top = (xs: number[]) =>
    xs
      .sort((a, b) => b - a)
      .slice(0, p.hostFailures)
      .reduce((a, b) => a + b, 0);
  return { cpu: cpu - top(hs.map((h) => h.cpu)), mem: mem - top(hs.map((h) => h.memoryMiB)) };
}
