// Pure: what a failover drill observed. Fed one store view at a time (with the time it was read,
// in ms since the host was powered off), it records when the host's lease vanished (detection),
// when its fence was confirmed, and when each of its resources ran again on another host.
import type { StoreView } from "../core/model";

export interface ResourceTimes {
  name: string;
  /** Host it ran on before the drill. */
  from: string;
  /** Host it runs on now, once recovered. */
  to?: string;
  /** ms after power-off when it ran (per its new host's report) on another host. */
  runningMs?: number;
}

export interface DrillTimeline {
  host: string;
  /** ms after power-off when the host's lease disappeared from the store. */
  detectedMs?: number;
  /** ms after power-off when the primary recorded the fence as confirmed (or fenced by deadline). */
  fencedMs?: number;
  fencedHow?: string;
  resources: ResourceTimes[];
  /** Moments (ms) at which some resource was reported running on two hosts: must stay empty. */
  doubleRuns: Array<{ atMs: number; resource: string; hosts: string[] }>;
}

export function startTimeline(host: string, before: StoreView): DrillTimeline {
  const resources = Object.entries(before.manager?.resources ?? {})
    .filter(([, r]) => r.node === host && r.state === "started")
    .map(([name]) => ({ name, from: host }));
  return { host, resources, doubleRuns: [] };
}

export function observe(t: DrillTimeline, view: StoreView, atMs: number): void {
  if (t.detectedMs === undefined && !view.leases.includes(t.host)) t.detectedMs = atMs;
  const h = view.manager?.hosts[t.host];
  if (t.fencedMs === undefined && h && (h.fence?.confirmedAt !== undefined || h.state === "fenced")) {
    t.fencedMs = atMs;
    t.fencedHow = h.fence?.confirmedAt !== undefined ? "device confirmed off" : (h.reason ?? "fenced");
  }
  const runningOn = new Map<string, string[]>();
  for (const [hostName, rep] of Object.entries(view.reports)) {
    for (const r of rep.running) runningOn.set(r, [...(runningOn.get(r) ?? []), hostName]);
  }
  for (const [r, hosts] of runningOn) {
    if (hosts.length > 1) t.doubleRuns.push({ atMs, resource: r, hosts: hosts.sort() });
  }
  for (const r of t.resources) {
    if (r.runningMs !== undefined) continue;
    const other = (runningOn.get(r.name) ?? []).find((h) => h !== t.host);
    const rec = view.manager?.resources[r.name];
    if (other && rec?.state === "started" && rec.node === other) {
      r.runningMs = atMs;
      r.to = other;
    }
  }
}

export function recovered(t: DrillTimeline): boolean {
  return t.fencedMs !== undefined && t.resources.every((r) => r.runningMs !== undefined);
}

const s = (ms: number | undefined) => (ms === undefined ? "never" : `${(ms / 1000).toFixed(2)} s`);

/** The drill's report, one line each; `limitMs` is what "recovered in time" means. */
export function formatTimeline(t: DrillTimeline, limitMs: number): string[] {
  const lines = [
    `drill of ${t.host}: powered off through its fence device at 0.00 s`,
    `  detected (lease gone):   ${s(t.detectedMs)}`,
    `  fenced:                  ${s(t.fencedMs)}${t.fencedHow ? ` (${t.fencedHow})` : ""}`,
  ];
  if (t.resources.length === 0) lines.push(`  no started resources ran on ${t.host}`);
  for (const r of t.resources) {
    const late = r.runningMs === undefined || r.runningMs > limitMs;
    lines.push(
      `  ${r.name.padEnd(22)} ${r.runningMs === undefined ? "NOT recovered" : `running on ${r.to} at ${s(r.runningMs)}`}` +
        (late ? `  (limit ${s(limitMs)})` : ""),
    );
  }
  lines.push(
    t.doubleRuns.length === 0
      ? "  split brain: none (no resource was ever reported on two hosts)"
      : `  SPLIT BRAIN: ${t.doubleRuns.map((d) => `${d.resource} on ${d.hosts.join("+")} at ${s(d.atMs)}`).join("; ")}`,
  );
  return lines;
}

export function drillPassed(t: DrillTimeline, limitMs: number): boolean {
  return (
    t.doubleRuns.length === 0 &&
    t.fencedMs !== undefined &&
    t.resources.every((r) => r.runningMs !== undefined && r.runningMs <= limitMs)
  );
}
