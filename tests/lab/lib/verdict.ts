// Judging what the TruthObserver recorded against the faults the nemesis injected: pure
// functions over recorded data (so they can be checked on their own and on real recordings).
import type { DoubleRunEpisode, Transition } from "./observer";
import type { PowerEvent } from "./power-log";

export interface FaultWindow {
  id: number;
  kind: string;
  /** Hosts the fault touched: stops of their VMs and power-offs of them are expected. */
  targets: string[];
  start: number;
  /** End of its recovery wait; the window runs until the next fault starts. */
  end: number;
}

export interface FalseIsolation {
  at: number;
  host: string;
  /** "vm <name> stopped" or "host powered off by <who>". */
  what: string;
  fault?: number;
}

/** The window an instant belongs to: the last fault started at or before it. */
export function windowAt(windows: readonly FaultWindow[], at: number): FaultWindow | undefined {
  let w: FaultWindow | undefined;
  for (const x of windows) if (x.start <= at) w = x;
  return w;
}

/** A stop that is the source side of a live migration (the VM's -incoming copy started elsewhere around then). */
export function isMigration(t: Transition, all: readonly Transition[], slackMs = 2000): boolean {
  return all.some(
    (s) =>
      s.kind === "start" &&
      s.vm === t.vm &&
      s.host !== t.host &&
      s.incoming === true &&
      s.at >= t.at - slackMs &&
      s.at <= t.at + 500,
  );
}

/**
 * Every VM that stopped executing on a host the current fault did not touch (migrations
 * excepted), and every power-off of such a host by anyone but the nemesis (a fence device
 * asked by the cluster, the watchdog).
 */
export function falseIsolations(
  transitions: readonly Transition[],
  power: readonly PowerEvent[],
  windows: readonly FaultWindow[],
  from = 0,
  to = Number.POSITIVE_INFINITY,
): FalseIsolation[] {
  const out: FalseIsolation[] = [];
  for (const t of transitions) {
    if (t.kind !== "stop" || t.at < from || t.at > to) continue;
    const w = windowAt(windows, t.at);
    if (w?.targets.includes(t.host)) continue;
    if (isMigration(t, transitions)) continue;
    out.push({
      at: t.at,
      host: t.host,
      what: `vm ${t.vm} stopped on ${t.host}${t.libvirtUp ? "" : " (libvirt not answering)"}`,
      ...(w ? { fault: w.id } : {}),
    });
  }
  for (const p of power) {
    if (p.action !== "off" || p.by === "nemesis" || p.at < from || p.at > to) continue;
    const w = windowAt(windows, p.at);
    if (w?.targets.includes(p.host)) continue;
    out.push({
      at: p.at,
      host: p.host,
      what: `host ${p.host} powered off by ${p.by}${p.detail ? ` (${p.detail})` : ""}`,
      ...(w ? { fault: w.id } : {}),
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

export function doubleRunsIn(
  runs: readonly DoubleRunEpisode[],
  from: number,
  to = Number.POSITIVE_INFINITY,
): DoubleRunEpisode[] {
  return runs.filter((r) => r.start >= from && r.start < to);
}

export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/**
 * Whether a fault's recovery can be judged at `now`: every VM has run exactly once without a
 * break since `okSince` and for `quietMs` after the fault ended. What a fault sets off often
 * shows only after it ends (a killed agent's lease expires ~1 s after its last renewal, a
 * stalled agent isolates when it resumes); judging before that would count a VM stopped by the
 * failover as "recovered", or one the failover is about to restart as "unrecovered".
 */
export function recoveryJudgeable(
  okSince: number | undefined,
  faultEnd: number,
  now: number,
  quietMs: number,
): boolean {
  return okSince !== undefined && now - Math.max(okSince, faultEnd) > quietMs;
}
