// decide(snapshot, event, now) -> { actions, next, sentence }: the whole HA brain, pure.
//   - the primary's manager step runs when this host holds the election AND the store answered
//     in this iteration (a primary that lost the store steps down and decides nothing), on tick
//     and on fence results;
//   - the local resource manager runs on every host, primary or not.
// Level-triggered: lease grants/expiries, spec changes and store reachability are read from
// the snapshot on every tick (a missed watch event can never mean a missed decision); events
// carry what only the driver knows: results of operations it ran (fence, start, stop,
// migrate, monitor), a lost commit, or that the store did not answer.
// No IO, no clock, no randomness: the same inputs give the same outputs (see
// tests/unit/runtime/purity.test.ts, which enforces the imports).
import type { Note } from "./context";
import { rejoinGraceEnd, selfFenceDeadline } from "./hosts";
import { leasePhase, withRejoin } from "./isolation";
import { runLocal } from "./local";
import { runManager } from "./manager";
import type { Action, CoreEvent, Decision, ManagerState, Snapshot } from "./model";
import { defaultPlacer, type Placer } from "./placement";

export function decide(
  given: Snapshot,
  event: CoreEvent,
  now: number,
  placer: Placer = defaultPlacer,
): Decision {
  const snapshot = withRejoin(given);
  const actions: Action[] = [];
  const notes: Note[] = [];
  let manager: ManagerState | undefined = snapshot.view.manager;
  // A primary decides only while its own lease (to which the election key is bound) surely
  // outlives the iteration: one whose lease may expire meanwhile could overlap its successor.
  const acting =
    snapshot.isPrimary &&
    snapshot.storeReachable &&
    !snapshot.managerInvalid &&
    leasePhase(snapshot) === "normal" &&
    event.type !== "commit-failed";
  const wasPrimary = snapshot.local.primary;
  let observed = snapshot.local.observedExpiry;
  const deviceAnswer = event.type === "fence-result" || event.type === "power-status";
  if (acting && (event.type === "tick" || deviceAnswer)) {
    if (!wasPrimary) actions.push(primaryLog("elected: deciding for the cluster"));
    const step = runManager(snapshot, event, now, placer);
    manager = step.state;
    observed = step.observed;
    actions.push(...step.actions);
    notes.push(...step.notes);
  } else if (!acting && wasPrimary && !deviceAnswer) {
    const why = !snapshot.storeReachable
      ? "store unreachable"
      : event.type === "commit-failed"
        ? "commit lost (another primary)"
        : "election lost";
    actions.push(primaryLog(`stepping down (${why}): deciding nothing`));
  }
  const local = runLocal(snapshot, event, now, manager);
  actions.push(...local.actions);
  notes.push(...local.notes);
  const next = { ...local.local };
  if (event.type === "tick" || event.type === "store-unreachable" || event.type === "commit-failed") {
    next.primary = acting;
  }
  // sightings of expiries are only good for the tenure they were made in
  if (acting) next.observedExpiry = observed;
  else if (!next.primary) delete next.observedExpiry;
  const sentence = pick(notes) ?? snapshot.local.lastSentence ?? "idle";
  const wakeInMs = minDefined(
    local.wakeInMs,
    acting ? nextSelfFenceDeadline(manager, observed, snapshot, now) : undefined,
  );
  return {
    actions,
    next: { local: next, manager },
    sentence,
    ...(wakeInMs !== undefined ? { wakeInMs } : {}),
  };
}

/** ms until the earliest rejoin grace end or self-fence deadline this primary is waiting for. */
function nextSelfFenceDeadline(
  manager: ManagerState | undefined,
  observed: Readonly<Record<string, number>> | undefined,
  snap: Snapshot,
  now: number,
): number | undefined {
  let best: number | undefined;
  for (const [h, at] of Object.entries(observed ?? {})) {
    const st = manager?.hosts[h]?.state;
    if (st !== "fencing" && st !== "suspect") continue;
    const t = snap.spec.timing;
    const left = (st === "suspect" ? rejoinGraceEnd(at, t) : selfFenceDeadline(at, t)) - now;
    if (left > 0 && (best === undefined || left < best)) best = left;
  }
  return best;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function primaryLog(message: string): Action {
  return { type: "log", level: "info", subject: "primary", message };
}

function pick(notes: Note[]): string | undefined {
  let best: Note | undefined;
  for (const n of notes) if (!best || n.rank < best.rank) best = n;
  return best?.text;
}
