// What one `vmha drill` run amounts to, for the reports that leave the terminal: the JUnit file a
// CI system shows as a test (junit.ts) and the Prometheus metrics file (--metrics-file) the
// drill alerts read. Pure, so both are tested on synthetic drills without a lab.
import { DrillMetrics, type DrillOutcome } from "../metrics/metrics";
import type { DrillResult, DrillStep } from "./run";
import { drillPassed } from "./timeline";

export interface DrillReport {
  cluster: string;
  /** The host that was drilled (powered off). */
  host: string;
  /** Each resource had to run elsewhere within this many ms. */
  limitMs: number;
  /** When the drill started (wall clock). */
  startedAt: Date;
  /** How long the whole drill took, power-on and rejoin included. */
  durationMs: number;
  /** The machine the drill ran on. */
  hostname: string;
  /** What was measured; partial (or absent) when the drill stopped with an error. */
  result?: DrillResult;
  /** The drill could not complete: where, and why. */
  error?: { step: DrillStep; message: string };
  /** The drill's printed report, one line each. */
  lines: string[];
}

/** Passed: completed without error, and every resource recovered in time with no double run. */
export function reportPassed(r: DrillReport): boolean {
  return !r.error && r.result !== undefined && drillPassed(r.result.timeline, r.limitMs);
}

/** Power-off until the last resource ran elsewhere, in s; undefined unless all of them did. */
export function recoverySeconds(r: DrillReport): number | undefined {
  const res = r.result?.timeline.resources;
  if (!res || res.length === 0 || res.some((x) => x.runningMs === undefined)) return undefined;
  return Math.max(...res.map((x) => x.runningMs!)) / 1000;
}

export function drillOutcome(r: DrillReport): DrillOutcome {
  const recovery = recoverySeconds(r);
  return {
    cluster: r.cluster,
    host: r.host,
    passed: reportPassed(r),
    endedAt: (r.startedAt.getTime() + r.durationMs) / 1000,
    ...(recovery !== undefined ? { recoverySeconds: recovery } : {}),
  };
}

/** The drill's metrics in Prometheus' text format (`vmha drill --metrics-file`). */
export async function drillMetricsText(r: DrillReport): Promise<string> {
  const m = new DrillMetrics();
  m.record(drillOutcome(r));
  const text = await m.registry.metrics();
  // the format wants the last line ended too; prom-client leaves it open
  return text.endsWith("\n") ? text : `${text}\n`;
}
