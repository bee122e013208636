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
import { runLocal } from "./local";
import { runManager } from "./manager";
import type { Action, CoreEvent, Decision, ManagerState, Snapshot } from "./model";
import { defaultPlacer, type Placer } from "./placement";

export function decide(
  snapshot: Snapshot,
  event: CoreEvent,
  now: number,
  placer: Placer = defaultPlacer,
): Decision {
  const actions: Action[] = [];
  const notes: Note[] = [];
  let manager: ManagerState | undefined = snapshot.view.manager;
  const acting = snapshot.isPrimary && snapshot.storeReachable && event.type !== "commit-failed";
  const wasPrimary = snapshot.local.primary;
  if (acting && (event.type === "tick" || event.type === "fence-result")) {
    if (!wasPrimary) actions.push(primaryLog("elected: deciding for the cluster"));
    const step = runManager(snapshot, event, now, placer);
    manager = step.state;
    actions.push(...step.actions);
    notes.push(...step.notes);
  } else if (!acting && wasPrimary && event.type !== "fence-result") {
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
  const sentence = pick(notes) ?? snapshot.local.lastSentence ?? "idle";
  return { actions, next: { local: next, manager }, sentence };
}

function primaryLog(message: string): Action {
  return { type: "log", level: "info", subject: "primary", message };
}

function pick(notes: Note[]): string | undefined {
  let best: Note | undefined;
  for (const n of notes) if (!best || n.rank < best.rank) best = n;
  return best?.text;
}
