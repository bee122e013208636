// What an agent writes about itself after each iteration. Pure.
import type { HostReport, LocalState } from "./model";

export function buildReport(local: LocalState, now: number): HostReport {
  return {
    host: local.host,
    at: now,
    running: [...local.running].sort(),
    failed: { ...local.failed },
    migrated: { ...local.migrated },
  };
}
