// What a paused domain means for HA. libvirt pauses a domain for harmless reasons (it creates
// domains paused, an operator runs `virsh suspend`) and for harmful ones (an I/O error, a guest
// panic, a `virsh migrate` killed after the guest moved). Only the reason tells them apart.

export interface PauseMeaning {
  /** The guest may execute here (false: it moved to the migration's destination). */
  running: boolean;
  healthy: boolean;
  why: string;
}

/** "paused (I/O error)" -> { state: "paused", reason: "I/O error" } (virsh domstate --reason). */
export function parseStateReason(out: string): { state: string; reason: string } {
  const line = out.trim().split("\n")[0] ?? "";
  const m = /^(.*?)\s*\((.*)\)\s*$/.exec(line);
  return m ? { state: m[1]!.trim(), reason: m[2]!.trim() } : { state: line.trim(), reason: "unknown" };
}

/** "I/O error", "ioerror", "post-copy" -> "ioerror", "ioerror", "postcopy". */
function norm(reason: string): string {
  return reason.toLowerCase().replace(/[^a-z]/g, "");
}

// Pauses that end by themselves or that someone chose: the guest is fine.
const BENIGN = new Set([
  "user",
  "starting",
  "startingup",
  "booting",
  "booted",
  "saving",
  "dumping",
  "snapshot",
  "creatingsnapshot",
  "fromsnapshot",
  "shuttingdown",
]);

// The guest executes on the destination now: this copy is stale and must never be resumed.
const MOVED = new Set(["postmigration", "migrated", "postcopy"]);

/**
 * `migrating`: this agent's own `virsh migrate` of the domain is in flight, so the pause of its
 * switch-over is expected. Unknown reasons are unhealthy: a paused guest serves nobody, and a new
 * harmless reason costs a restart at worst while a missed harmful one costs the VM.
 */
export function pauseMeaning(reason: string, migrating = false): PauseMeaning {
  const r = norm(reason);
  if (migrating) return { running: true, healthy: true, why: `paused (${reason}) during its migration` };
  if (BENIGN.has(r)) return { running: true, healthy: true, why: `paused (${reason})` };
  if (MOVED.has(r))
    return {
      running: false,
      healthy: false,
      why: `paused (${reason}): stale source of a finished migration`,
    };
  if (r === "migrating" || r === "migration")
    return { running: true, healthy: false, why: `paused (${reason}) with no migration in progress` };
  return { running: true, healthy: false, why: `paused (${reason})` };
}
