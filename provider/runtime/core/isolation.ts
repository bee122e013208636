// The local host's view of its own lease, and what follows from it (see timing.ts for the
// arithmetic): act normally, wait (store silent, or the lease revoked and a new one being
// taken: no new starts), or isolate (stop/kill what must stop, pet nothing until it is gone).
// Also who may pet the watchdog. Pure.
import { fmtMs } from "./context";
import type { Action, LeaseView, LocalState, ManagerState, Snapshot } from "./model";
import { timingWindows } from "./timing";

/**
 * The lease the decisions count on. After the store said a lease is gone, even one the host kept
 * renewing (etcd-io/etcd#15247), the heartbeat takes a new one at once; that new lease counts
 * only once the view holds leases/<self> bound to it: such a view is at least as new as the put,
 * so it shows any fencing the primary committed before it, and the primary cannot commit one
 * after it (its commit requires the key to be absent). Until then every rule counts from the
 * last ack of the lease that was lost (timing.ts, restart). Returns the snapshot to decide on;
 * its local.leaseCounted remembers a lease once counted.
 */
export function withRejoin(snap: Snapshot): Snapshot {
  const prev = snap.lease.previousAckMs;
  if (prev === undefined) return snap;
  const id = snap.lease.id;
  const seen = snap.lease.state !== "lost" && id !== "" && snap.view.leaseIds?.[snap.self] === id;
  if (seen || snap.local.leaseCounted === id) {
    const lease: LeaseView = { ...snap.lease };
    delete lease.previousAckMs;
    return { ...snap, lease, local: { ...snap.local, leaseCounted: id } };
  }
  const lease: LeaseView = {
    ...snap.lease,
    state: snap.lease.state === "lost" ? "lost" : "unknown",
    sinceAckMs: Math.max(prev, snap.lease.sinceAckMs),
  };
  return { ...snap, lease };
}

/**
 * A lease the store says is gone, with time left before the isolation response: take a new one
 * now (the primary waits rejoinGraceMs before it fences). The heartbeat does it by itself at
 * once; this is the loop's retry when that failed.
 */
export function rejoinAction(snap: Snapshot): Action | undefined {
  if (snap.lease.state !== "lost" || !snap.storeReachable) return undefined;
  if (msToIsolation(snap) === undefined) return undefined;
  return { type: "join", ifGeneration: snap.lease.generation };
}

export type LeasePhase =
  /** the lease is surely alive: carry out the committed state */
  | "normal"
  /** no recent ack: the lease may have expired; keep what runs, start nothing, count down */
  | "waiting"
  /** the lease is gone, or may be and the deadline is near: stop/kill what must stop */
  | "isolate";

export function leasePhase(snap: Snapshot): LeasePhase {
  const t = snap.spec.timing;
  const w = timingWindows(t, snap.lease.ttlMs);
  if (snap.lease.sinceAckMs >= w.isolateAfterMs) return "isolate";
  // revoked with time left: nothing stops while a new lease is taken (rejoinAction)
  if (snap.lease.state === "lost") return "waiting";
  // an action started now must land while the lease surely lives: keep one interval in hand
  const held = snap.lease.sinceAckMs < Math.min(snap.lease.ttlMs, t.leaseTtlMs) - t.keepaliveIntervalMs;
  return held && snap.storeReachable ? "normal" : "waiting";
}

/** ms until the isolation response is due (undefined once it is). */
export function msToIsolation(snap: Snapshot): number | undefined {
  const left = timingWindows(snap.spec.timing, snap.lease.ttlMs).isolateAfterMs - snap.lease.sinceAckMs;
  return left > 0 ? left : undefined;
}

/**
 * Resources on this host that must stop when it is isolated or being fenced (isolation response
 * stop/kill), among what runs, what is not known, and what an operation may be starting.
 */
export function mustStop(snap: Snapshot, local: LocalState, manager: ManagerState | undefined): string[] {
  const maybe = new Set<string>([...local.running, ...snap.unknown]);
  for (const k of snap.inFlight) {
    const [op, r] = k.split(":");
    if (r && (op === "start" || op === "migrate" || op === "stop")) maybe.add(r);
  }
  if (!snap.listed && manager) {
    // the list failed: anything assigned here may be running
    for (const [r, rec] of Object.entries(manager.resources)) {
      if (rec.node === snap.self || rec.target === snap.self) maybe.add(r);
    }
  }
  const out: string[] = [];
  for (const r of maybe) {
    const spec = snap.spec.resources[r];
    if ((spec?.isolationResponse ?? "stop") !== "none") out.push(r);
  }
  return out.sort();
}

/** True when the committed state says this host failed (its resources may be freed). */
export function beingFenced(manager: ManagerState | undefined, self: string): boolean {
  const s = manager?.hosts[self]?.state;
  // suspect included: a pet after the host read it could outlast the primary's deadline, which
  // counts from its sighting (timing.ts)
  return s === "suspect" || s === "fencing" || s === "fenced";
}

/**
 * The watchdog pet, if allowed. While the lease is alive the pet is bounded by the age of the
 * last ack (the driver checks it again at the moment it pets); a host that runs nothing that
 * must stop may pet regardless (a reset would protect nothing).
 */
export function petAction(
  snap: Snapshot,
  phase: LeasePhase,
  local: LocalState,
  manager: ManagerState | undefined,
  starting: readonly string[] = [],
): Action | undefined {
  const w = timingWindows(snap.spec.timing, snap.lease.ttlMs);
  // While the lease lives, the pet is bounded by the age of the last ack (checked again when
  // the pet happens, which may be after a stall).
  if (phase !== "isolate" && !beingFenced(manager, snap.self) && snap.lease.sinceAckMs < w.petWindowMs) {
    // a new lease not yet counted (withRejoin): the bound runs from the lost lease's last ack
    const from = snap.lease.previousAckMs !== undefined ? { previousLease: true } : {};
    return { type: "watchdog", op: "pet", maxAckAgeMs: w.petWindowMs, ...from };
  }
  // Otherwise only a host that runs nothing that must stop may pet (a reset protects nothing),
  // counting what this very decision starts.
  const open = [...mustStop(snap, local, manager), ...starting.filter((r) => mustStopKind(snap, r))];
  if (snap.listed && open.length === 0) return { type: "watchdog", op: "pet" };
  return undefined;
}

function mustStopKind(snap: Snapshot, r: string): boolean {
  return (snap.spec.resources[r]?.isolationResponse ?? "stop") !== "none";
}

export function isolationNote(snap: Snapshot, phase: LeasePhase): string | undefined {
  if (phase !== "waiting") return undefined;
  const left = msToIsolation(snap);
  const why =
    snap.lease.state === "lost"
      ? "lease revoked by the store; taking a new one; last ack of the old one"
      : snap.lease.previousAckMs !== undefined
        ? "new lease not yet in the view; last ack of the lost one"
        : snap.storeReachable
          ? "lease not acknowledged"
          : "store unreachable";
  return `${snap.self}: ${why} for ${fmtMs(Math.min(snap.lease.sinceAckMs, 3_600_000))}; isolation response in ${fmtMs(left ?? 0)}`;
}
