// What an agent writes about itself after each iteration. Pure.
import type { HostReport, LocalState } from "./model";

export interface ReportFacts {
  managerRevision: number;
  listed: boolean;
  busy: string[];
  watchdogMs?: number;
}

export function buildReport(local: LocalState, now: number, facts: ReportFacts): HostReport {
  return {
    host: local.host,
    at: now,
    managerRevision: facts.managerRevision,
    listed: facts.listed,
    running: [...local.running].sort(),
    busy: [...facts.busy].sort(),
    failed: { ...local.failed },
    migrated: { ...local.migrated },
    ...(facts.watchdogMs !== undefined ? { watchdogMs: facts.watchdogMs } : {}),
  };
}
