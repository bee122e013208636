// Resource monitoring on the local host: what counts as a failure (monitor result, guest
// heartbeat after minUptime) and the restart budget (maxRestarts within restartWindowMs).
// Numbers come from the resource's monitoring spec (vSphere sensitivity presets resolved in
// spec.ts). Pure.
import { fmtMs } from "./context";
import type { LocalState, MonitorResult } from "./model";
import type { ResourceSpec } from "./spec";

/** Why a monitor result is a failure, or undefined if it is healthy. */
export function monitorFailure(spec: ResourceSpec, res: MonitorResult, uptimeMs: number): string | undefined {
  if (!res.running) return "not running";
  if (!res.healthy) return `monitor failed${res.detail ? ` (${res.detail})` : ""}`;
  const m = spec.monitoring;
  if (m.guestHeartbeat && res.heartbeatAgeMs !== undefined && res.heartbeatAgeMs >= m.failureIntervalMs) {
    if (uptimeMs < m.minUptimeMs) return undefined;
    return `no guest heartbeat for ${fmtMs(res.heartbeatAgeMs)} (failure interval ${fmtMs(m.failureIntervalMs)})`;
  }
  return undefined;
}

export type RestartVerdict = { restart: true; count: number } | { restart: false; reason: string };

/** Spends one restart of the budget if any is left (mutates local.restarts). */
export function spendRestart(local: LocalState, r: string, spec: ResourceSpec, now: number): RestartVerdict {
  const m = spec.monitoring;
  const recent = (local.restarts[r] ?? []).filter((t) => now - t < m.restartWindowMs);
  if (recent.length >= m.maxRestarts) {
    local.restarts[r] = recent;
    return { restart: false, reason: `${m.maxRestarts} restart(s) within ${fmtMs(m.restartWindowMs)} used` };
  }
  recent.push(now);
  local.restarts[r] = recent;
  return { restart: true, count: recent.length };
}
