// The local resource manager (every host, primary or not): carries out the committed
// assignments on this host's hypervisor, monitors and restarts locally, and applies the
// isolation response when the lease is lost. It starts a resource only when the committed
// manager state says this host is online and the resource is assigned here -- so a host that
// was fenced and comes back never restarts its old resources on its own. Pure.
import type { Note } from "./context";
import { isolationNote, leasePhase, msToIsolation, mustStop, petAction, rejoinAction } from "./isolation";
import type { Action, CoreEvent, LocalState, ManagerState, ResourceRecord, Snapshot } from "./model";
import { monitorFailure, spendRestart } from "./monitoring";
import type { ResourceSpec } from "./spec";

export interface LocalStep {
  local: LocalState;
  actions: Action[];
  notes: Note[];
  /** ms until the isolation response is due, while it is not. */
  wakeInMs: number | undefined;
}

interface Lctx extends Omit<LocalStep, "wakeInMs"> {
  snap: Snapshot;
  now: number;
  manager: ManagerState | undefined;
}

function copyLocal(l: LocalState): LocalState {
  return {
    ...l,
    running: [...l.running],
    startedAt: { ...l.startedAt },
    restarts: { ...l.restarts },
    lastMonitorAt: { ...l.lastMonitorAt },
    failed: { ...l.failed },
    migrated: { ...l.migrated },
  };
}

export function runLocal(
  snap: Snapshot,
  event: CoreEvent,
  now: number,
  manager: ManagerState | undefined,
): LocalStep {
  const c: Lctx = { snap, now, manager, local: copyLocal(snap.local), actions: [], notes: [] };
  const phase = leasePhase(snap);
  // an acknowledged renewal since the isolation began: the lease lives, the host is not isolated
  // any more (an isolation stop still in flight completes; the resource is restarted if assigned)
  if (phase !== "isolate") c.local.isolated = false;
  switch (event.type) {
    case "tick":
    case "store-unreachable":
      if (phase === "isolate") isolation(c);
      else if (phase === "waiting" || snap.managerInvalid) waiting(c);
      else reconcile(c);
      if (phase === "waiting") {
        const join = rejoinAction(snap);
        if (join) c.actions.push(join);
      }
      break;
    case "fence-result":
    case "power-status":
      // the primary may just have freed resources for this host: act on them at once
      if (phase === "normal" && !snap.managerInvalid) reconcile(c, false);
      break;
    case "start-result":
    case "stop-result":
    case "migrate-result":
    case "monitor-result":
      onResult(c, event);
      if (phase === "isolate") isolation(c, false);
      break;
    default:
      break;
  }
  const starting = c.actions.flatMap((a) => (a.type === "start" || a.type === "migrate" ? [a.resource] : []));
  const pet = petAction(snap, phase, c.local, manager, starting);
  if (pet) c.actions.push(pet);
  return { local: c.local, actions: c.actions, notes: c.notes, wakeInMs: msToIsolation(snap) };
}

/** The lease may have expired: keep what runs (nothing starts, nothing stops) and count down. */
function waiting(c: Lctx): void {
  if (c.snap.listed) c.local.running = [...c.snap.running];
  const text = c.snap.managerInvalid
    ? `${c.snap.self}: the manager state in the store is invalid; holding everything as it is`
    : isolationNote(c.snap, "waiting");
  if (text) c.notes.push({ rank: 0, text });
}

function log(c: Lctx, subject: string, message: string, level: "info" | "warn" | "error" = "info") {
  c.actions.push({ type: "log", level, subject, message });
}

type Mode = "run" | "migrate-out" | "incoming" | "keep" | "stop" | "kill";

/** What this host should do with resource r according to the committed state. */
function modeOf(c: Lctx, r: string, rec: ResourceRecord | undefined): Mode {
  const self = c.snap.self;
  const hostState = c.manager?.hosts[self]?.state;
  if (!rec) return "stop";
  const none = c.snap.spec.resources[r]?.isolationResponse === "none";
  // Suspect: the primary saw the lease key gone and begins fencing rejoinGraceMs later unless
  // the key is back (a lease etcd revoked wrongly): hold everything, start nothing.
  if (hostState === "suspect") return rec.node === self || rec.target === self ? "keep" : "kill";
  if (hostState === "fencing") {
    // Being fenced: the primary frees stop/kill resources at its self-fence deadline, which
    // no graceful shutdown may outlast: kill them now. Isolation-none ones wait for the device.
    return rec.node === self && none ? "keep" : "kill";
  }
  // fenced while alive: what ran here may already run elsewhere
  if (hostState === "fenced") return none && rec.node === self ? "keep" : "kill";
  if (hostState !== "online" && hostState !== "maintenance") return "stop";
  // an interrupted move: the primary is finding out where it runs; leave it as it is
  if (rec.state === "recovering" && rec.target && (rec.node === self || rec.target === self)) return "keep";
  const f = c.local.failed[r];
  if (rec.node === self && (rec.state === "starting" || rec.state === "started")) return f ? "stop" : "run";
  if (rec.node === self && rec.state === "migrating") return "migrate-out";
  if (rec.target === self && rec.state === "migrating") return "incoming";
  return "stop";
}

function reconcile(c: Lctx, fresh = true): void {
  const { snap, local, now } = c;
  local.isolated = false;
  if (!snap.view.leases.includes(snap.self)) {
    // our lease lives but its key is gone (deleted by hand, or a put that failed): put it back
    c.actions.push({ type: "presence" });
  } else if (snap.lease.askedTtlMs !== snap.spec.timing.leaseTtlMs) {
    // a hand-off lease of a planned restart (long), or the spec's TTL changed: move the
    // heartbeat onto a lease of the spec's TTL (the old one is revoked once the new one holds)
    log(c, "lease", `moving to a lease of the spec's TTL (${snap.spec.timing.leaseTtlMs} ms)`);
    c.actions.push({ type: "join" });
  }
  if (!snap.listed) {
    // what runs here is not known: act on nothing the list would have told
    c.notes.push({ rank: 0, text: `${snap.self}: cannot list the hypervisor; holding everything as it is` });
    return;
  }
  const prev = new Set(local.running);
  const here = new Set(fresh ? snap.running : local.running);
  local.running = [...here];
  if (!c.manager) {
    c.notes.push({ rank: 10, text: `${snap.self}: waiting for the first primary` });
    return;
  }
  const mine = new Set<string>(here);
  const all = c.manager.resources;
  for (const r in all) {
    const rec = all[r]!;
    if (rec.node === snap.self || rec.target === snap.self) mine.add(r);
  }
  const inFlight = new Set(snap.inFlight);
  for (const [r, epoch] of Object.entries(local.migrated ?? {})) {
    if (c.manager.resources[r]?.epoch !== epoch) delete local.migrated![r];
  }
  for (const r of [...mine].sort()) {
    const spec = snap.spec.resources[r];
    const rec = c.manager.resources[r];
    if (!spec || spec.state === "disabled" || rec?.state === "disabled") continue;
    const f = local.failed[r];
    if (f && (!rec || f.epoch !== rec.epoch)) delete local.failed[r];
    if (here.has(r) && local.startedAt[r] === undefined) local.startedAt[r] = now;
    const mode = modeOf(c, r, rec);
    if (mode === "run" && prev.has(r) && !here.has(r) && rec?.state === "started") {
      failure(c, r, spec, rec, "crashed (no longer running)", false);
      continue;
    }
    if (mode === "migrate-out" && rec && !here.has(r) && !inFlight.has(`migrate:${r}`)) {
      if (local.migrated?.[r] !== rec.epoch && !local.failed[r]) {
        local.failed[r] = {
          epoch: rec.epoch,
          op: "migrate",
          reason: `not running on ${snap.self}: nothing to migrate`,
        };
        log(c, `resource ${r}`, `cannot migrate: not running on ${snap.self}`, "warn");
      }
      continue;
    }
    act(c, r, spec, rec, mode, here.has(r), inFlight);
  }
  c.notes.push({ rank: 10, text: steadyNote(c) });
}

function act(
  c: Lctx,
  r: string,
  spec: ResourceSpec,
  rec: ResourceRecord | undefined,
  mode: Mode,
  running: boolean,
  inFlight: Set<string>,
): void {
  if (mode === "run" && !running && !inFlight.has(`start:${r}`)) {
    log(c, `resource ${r}`, `starting on ${c.snap.self}`);
    c.actions.push({ type: "start", resource: r });
  } else if (mode === "run" && running && !inFlight.has(`monitor:${r}`)) {
    const last = c.local.lastMonitorAt[r];
    if (last === undefined || c.now - last >= spec.monitoring.intervalMs) {
      c.local.lastMonitorAt[r] = c.now;
      c.actions.push({ type: "monitor", resource: r });
    }
  } else if (
    mode === "migrate-out" &&
    running &&
    rec?.target &&
    !inFlight.has(`migrate:${r}`) &&
    // one operation on a resource at a time: a migration racing an isolation stop of the same
    // domain could leave the target with a copy the source's agent thinks it stopped
    !inFlight.has(`stop:${r}`) &&
    c.local.failed[r]?.epoch !== rec.epoch
  ) {
    // once a failure of this migration is reported, the primary decides: trying again could
    // land it on the target after the primary settled it back here
    log(c, `resource ${r}`, `live-migrating ${c.snap.self} -> ${rec.target}`);
    c.actions.push({ type: "migrate", resource: r, target: rec.target });
  } else if (mode === "stop" && running && !inFlight.has(`stop:${r}`)) {
    log(c, `resource ${r}`, `stopping on ${c.snap.self} (${whyStop(rec)})`);
    c.actions.push({ type: "stop", resource: r, mode: "stop" });
  } else if (mode === "kill" && (running || inFlight.has(`start:${r}`)) && !inFlight.has(`stop:${r}`)) {
    const state = c.manager?.hosts[c.snap.self]?.state;
    log(
      c,
      `resource ${r}`,
      `killing on ${c.snap.self}: this host is ${state} (its resources may be freed)`,
      "warn",
    );
    c.actions.push({ type: "stop", resource: r, mode: "kill" });
  }
}

/** A local failure: restart while the budget lasts, else give up and report to the primary. */
function failure(c: Lctx, r: string, spec: ResourceSpec, rec: ResourceRecord, why: string, running: boolean) {
  const v = spendRestart(c.local, r, spec, c.now);
  if (v.restart) {
    log(c, `resource ${r}`, `${why}: restart ${v.count} of ${spec.monitoring.maxRestarts}`, "warn");
    if (running) c.actions.push({ type: "stop", resource: r, mode: "kill" });
    else c.actions.push({ type: "start", resource: r });
    return;
  }
  c.local.failed[r] = { epoch: rec.epoch, op: "monitor", reason: `${why}; ${v.reason}` };
  log(c, `resource ${r}`, `${why}: giving up locally (${v.reason}), reporting to the primary`, "warn");
  if (running) c.actions.push({ type: "stop", resource: r, mode: "kill" });
}

function onResult(
  c: Lctx,
  ev: Exclude<
    CoreEvent,
    { type: "tick" | "store-unreachable" | "fence-result" | "power-status" | "commit-failed" }
  >,
) {
  const { local } = c;
  const r = ev.resource;
  const spec = c.snap.spec.resources[r];
  const rec = c.manager?.resources[r];
  const remove = () => {
    local.running = local.running.filter((x) => x !== r);
    delete local.startedAt[r];
  };
  if (ev.type === "monitor-result") {
    if (!spec || !rec || !local.running.includes(r)) return;
    const started = local.startedAt[r] ?? c.now;
    const why = monitorFailure(spec, ev.result, c.now - started);
    if (why) failure(c, r, spec, rec, why, ev.result.running);
    return;
  }
  if (ev.type === "migrate-result" && (rec?.state !== "migrating" || rec.target !== ev.target)) {
    // the result of a migration started for an earlier assignment: it says nothing about the
    // current one (charging it to the current epoch once settled a move that was still running)
    if (ev.ok) remove();
    log(
      c,
      `resource ${r}`,
      `late result of an earlier migration to ${ev.target}: ${ev.ok ? "it left this host" : `failed (${ev.error ?? ""})`}`,
      "warn",
    );
    return;
  }
  if (ev.ok) {
    if (ev.type === "start-result") {
      if (!local.running.includes(r)) local.running = [...local.running, r].sort();
      local.startedAt[r] = c.now;
      log(c, `resource ${r}`, `started on ${c.snap.self}`);
    } else {
      remove();
      if (ev.type === "migrate-result" && rec) local.migrated = { ...local.migrated, [r]: rec.epoch };
      log(
        c,
        `resource ${r}`,
        ev.type === "stop-result" ? `stopped on ${c.snap.self}` : `migrated to ${ev.target}`,
      );
    }
    return;
  }
  log(
    c,
    `resource ${r}`,
    `${ev.type.replace("-result", "")} failed on ${c.snap.self}: ${ev.error ?? ""}`,
    "warn",
  );
  if (ev.type === "start-result" && spec) {
    // a failed or timed-out start may have left it half-started: clean up before anyone moves
    // it (the cleanup shows as busy in the report until it is done)
    c.actions.push({ type: "stop", resource: r, mode: "kill" });
  }
  if (!spec || !rec || ev.type === "stop-result") return;
  const op = ev.type === "start-result" ? "start" : "migrate";
  if (op === "migrate" || !ev.retryable) {
    local.failed[r] = { epoch: rec.epoch, op, reason: ev.error ?? `${op} failed` };
  } else {
    const v = spendRestart(local, r, spec, c.now);
    if (!v.restart) local.failed[r] = { epoch: rec.epoch, op, reason: `${ev.error ?? ""}; ${v.reason}` };
  }
}

/**
 * The lease is gone, or may be with the deadline near: stop (gracefully within the budget the
 * driver computes) or kill what must stop, keep isolation-none resources, and take a new lease
 * once nothing that must stop is left.
 */
function isolation(c: Lctx, fresh = true): void {
  const { local, snap } = c;
  if (fresh && snap.listed) local.running = [...snap.running];
  const open = mustStop(snap, local, c.manager);
  const keep = local.running.filter((r) => !open.includes(r));
  const inFlight = new Set(snap.inFlight);
  const stop: string[] = [];
  const kill: string[] = [];
  for (const r of open) {
    if (inFlight.has(`stop:${r}`)) continue;
    // on an operation's result, act only on what is known to run or be starting: what is merely
    // not known yet (a first probe pending) was stopped at the tick, and the next list says more
    if (!fresh && !local.running.includes(r) && !inFlight.has(`start:${r}`) && !inFlight.has(`migrate:${r}`))
      continue;
    const how = snap.spec.resources[r]?.isolationResponse ?? "stop";
    // one whose start is still in flight is stopped (or killed) too: idempotent when absent
    (how === "kill" || !local.running.includes(r) ? kill : stop).push(r);
  }
  if (!local.isolated && (open.length > 0 || keep.length > 0)) {
    const why = snap.lease.state === "lost" ? "lease lost" : "no lease acknowledgement in time";
    log(
      c,
      "isolation",
      `${why}: isolation response (stop ${fmtList(stop)}, kill ${fmtList(kill)}, keep ${fmtList(keep)})`,
      "warn",
    );
  }
  local.isolated = true;
  if (stop.length || kill.length) c.actions.push({ type: "self-fence", stop, kill, keep });
  const clean = snap.listed && open.length === 0;
  if (clean && snap.lease.state === "lost" && snap.storeReachable)
    c.actions.push({ type: "join", ifGeneration: snap.lease.generation });
  c.notes.push({
    rank: 0,
    text: clean
      ? `${snap.self}: isolated (lease ${snap.lease.state}); nothing that must stop runs; keeping ${keep.length} isolation-none resource(s)${snap.lease.state === "lost" ? "; taking a new lease" : ""}`
      : open.length
        ? `${snap.self}: isolated (lease ${snap.lease.state}); stopping ${open.join(", ")}`
        : `${snap.self}: isolated (lease ${snap.lease.state}); cannot list what runs here, so no pet and no new lease until it can`,
  });
}

function fmtList(xs: string[]): string {
  return xs.length ? xs.join(" ") : "-";
}

function steadyNote(c: Lctx): string {
  const run = c.local.running;
  const names = run.length > 4 ? `${run.slice(0, 4).join(", ")}, ...` : run.join(", ");
  const primary = c.snap.view.primary ?? "none";
  const state = c.manager?.hosts[c.snap.self]?.state ?? "unknown";
  return `${c.snap.self} (${state}): running ${run.length} resource(s)${run.length ? ` (${names})` : ""}; primary ${primary}`;
}

function whyStop(rec: ResourceRecord | undefined): string {
  if (!rec) return "not in the manager state";
  if (rec.state === "relocating") return `relocating to ${rec.target}`;
  if (rec.state === "stopping" || rec.state === "stopped") return "spec says stopped";
  if (rec.state === "error") return "in error";
  return rec.node ? `${rec.state} on ${rec.node}` : rec.state;
}
