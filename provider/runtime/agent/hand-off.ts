// What a planned restart leaves for the next agent in --state-dir: the lease to resume and,
// for a hand-off, when its grant was sent (CLOCK_MONOTONIC, the same clock in every process of
// one boot) and its TTL. The next agent uses it to pet the watchdog at once: the previous one
// did not magic-close the device, so its timer runs on, and a Node agent takes ~0.3-1 s to load
// and longer to resume its lease on a loaded host, more than a 2 s watchdog leaves.
import * as fs from "node:fs";

export interface LeaseRecord {
  id: string;
  /** Set by a planned restart's hand-off. */
  handOff?: { grantSentAtNs: string; ttlMs: number };
}

export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

export function readLeaseRecord(file: string): LeaseRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
  if (!text) return undefined;
  if (!text.startsWith("{")) return { id: text }; // written by an older agent: the id alone
  try {
    const j = JSON.parse(text) as LeaseRecord;
    return typeof j.id === "string" && j.id ? j : undefined;
  } catch {
    return undefined;
  }
}

export function writeLeaseRecord(file: string, rec: LeaseRecord): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(rec), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * May a fresh agent pet the watchdog before it has heard from the store? Only if the hand-off
 * lease surely outlives the reset that pet postpones: now + watchdogMs <= grant sent + TTL
 * (minus a margin). The pet rule of core/timing.ts then holds with D - S >= 0.
 */
export function earlyPetAllowed(
  rec: LeaseRecord | undefined,
  watchdogMs: number,
  nowNs = monotonicNs(),
): boolean {
  const h = rec?.handOff;
  if (!h) return false;
  const sent = BigInt(h.grantSentAtNs);
  if (nowNs < sent) return false; // another boot: CLOCK_MONOTONIC restarted
  const elapsedMs = Number((nowNs - sent) / 1_000_000n);
  return elapsedMs + watchdogMs + 500 <= h.ttlMs;
}
