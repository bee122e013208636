// The primary's step: reconcile the manager state with the spec, advance hosts (fencing),
// advance resources (reports), then plan (admission, placement, drain, migrations, failback).
// Returns the new state and, if it changed, a commit action FIRST in the list: nothing the
// step decided may take effect before the CAS commit succeeded. Pure.
import { ManagerContext, type Note } from "./context";
import { fencingGuard, stepHosts } from "./hosts";
import type { Action, CoreEvent, ManagerState, Snapshot } from "./model";
import { defaultPlacer, PlacementIndex, type Placer } from "./placement";
import { admit, drain, failback, migrations, place, summary } from "./plan";
import { stepResources } from "./resources";
import type { ClusterSpec } from "./spec";

export interface ManagerStep {
  state: ManagerState;
  actions: Action[];
  notes: Note[];
  /** This primary's own sightings of lease expiries (LocalState.observedExpiry). */
  observed: Record<string, number>;
}

export function emptyManagerState(): ManagerState {
  return { version: 1, specRevision: -1, hosts: {}, resources: {}, seq: 0, handledRequests: [] };
}

export function runManager(
  snap: Snapshot,
  event: CoreEvent,
  now: number,
  placer: Placer = defaultPlacer,
): ManagerStep {
  const base = snap.view.manager;
  const ctx = new ManagerContext(
    snap.spec,
    snap.view,
    now,
    base ?? emptyManagerState(),
    snap.inFlight,
    snap.self,
    snap.local.observedExpiry,
  );
  if (!base) ctx.log("primary", "no manager state in the store: starting a new one");
  if (ctx.state.specRevision !== snap.view.specRevision) reconcileSpec(ctx);
  stepHosts(ctx, event);
  const { pending, reserved } = stepResources(ctx);
  const ready = admit(ctx, pending, reserved);
  const index = new PlacementIndex(ctx.spec, ctx.eligibleHosts(), failoverOnly(ctx.spec), ctx.state);
  place(ctx, ready, index, placer);
  drain(ctx, index, placer, index.byNode);
  migrations(ctx, index);
  failback(ctx, index, index.withHome);
  ctx.note(9, summary(ctx, reserved));
  if (ctx.changed(base)) {
    ctx.actions.unshift({
      type: "commit",
      revision: snap.view.managerRevision,
      state: ctx.state,
      absentLeases: fencingGuard(base, ctx.state),
    });
  }
  return { state: ctx.state, actions: ctx.actions, notes: ctx.notes, observed: ctx.observed };
}

/**
 * A short fingerprint of a resource's spec (a change clears `error`). A hash, not the JSON:
 * records with the whole spec (domain XML included) grew the manager value past etcd's request
 * limit at a few hundred VMs. FNV-1a over the JSON, two 32-bit lanes.
 */
export function specFingerprint(spec: unknown): string {
  const text = JSON.stringify(spec);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return `${a.toString(16).padStart(8, "0")}${b.toString(16).padStart(8, "0")}`;
}

function failoverOnly(spec: ClusterSpec): Set<string> {
  const p = spec.admissionControl;
  return new Set(p.policy === "dedicatedHosts" ? p.hosts : []);
}

/** Adds/removes records for hosts and resources; a changed resource spec clears `error`. */
function reconcileSpec(ctx: ManagerContext): void {
  const st = ctx.state;
  for (const h of Object.keys(ctx.spec.hosts)) {
    if (!st.hosts[h]) st.hosts[h] = { state: "offline", since: ctx.now };
  }
  for (const h of Object.keys(st.hosts)) {
    if (!ctx.spec.hosts[h]) {
      delete st.hosts[h];
      ctx.log(`host ${h}`, "removed from the spec");
    }
  }
  for (const [r, spec] of Object.entries(ctx.spec.resources)) {
    const key = specFingerprint(spec);
    const rec = st.resources[r];
    if (!rec) {
      st.resources[r] = {
        state: "stopped",
        since: ctx.now,
        epoch: 0,
        relocations: 0,
        admitted: false,
        specKey: key,
      };
      continue;
    }
    if (rec.specKey === key) continue;
    const m = ctx.res(r);
    m.specKey = key;
    if (rec.state === "error") {
      m.relocations = 0;
      delete m.failedOn;
      m.epoch = ctx.nextEpoch();
      // It is placed again only once its node's fresh report shows it gone there: a failed
      // start's cleanup may still be running (stepStopping waits for that proof).
      if (rec.node)
        ctx.resState(r, "stopping", `spec changed: error cleared; making sure it is stopped on ${rec.node}`);
      else ctx.resState(r, "stopped", "spec changed: error cleared");
    }
  }
  for (const r of Object.keys(st.resources)) {
    if (!ctx.spec.resources[r]) {
      delete st.resources[r];
      ctx.log(`resource ${r}`, "removed from the spec: no longer managed (left as it is)");
    }
  }
  st.specRevision = ctx.view.specRevision;
  ctx.structureChanged = true;
}
