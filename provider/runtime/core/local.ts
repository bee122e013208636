// The local resource manager (every host, primary or not): carries out the committed
// assignments on this host's hypervisor, monitors and restarts locally, and applies the
// isolation response when the lease is lost. It starts a resource only when the committed
// manager state says this host is online and the resource is assigned here -- so a host that
// was fenced and comes back never restarts its old resources on its own. Pure.
import { fmtMs, type Note } from "./context";
import type { Action, CoreEvent, LocalState, ManagerState, ResourceRecord, Snapshot } from "./model";
import { monitorFailure, spendRestart } from "./monitoring";
import type { ResourceSpec } from "./spec";

export interface LocalStep {
  local: LocalState;
  actions: Action[];
  notes: Note[];
}

interface Lctx extends LocalStep {
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
  switch (event.type) {
    case "tick":
      reconcile(c);
      break;
    case "fence-result":
      // the primary may just have freed resources for this host: act on them at once
      if (snap.storeReachable) reconcile(c, false);
      break;
    case "store-unreachable":
      isolation(c);
      break;
    case "start-result":
    case "stop-result":
    case "migrate-result":
    case "monitor-result":
      onResult(c, event);
      if (c.local.isolated) petIfSafe(c);
      break;
    default:
      break;
  }
  return { local: c.local, actions: c.actions, notes: c.notes };
}

function log(c: Lctx, subject: string, message: string, level: "info" | "warn" | "error" = "info") {
  c.actions.push({ type: "log", level, subject, message });
}

type Mode = "run" | "migrate-out" | "incoming" | "keep" | "stop";

/** What this host should do with resource r according to the committed state. */
function modeOf(c: Lctx, r: string, rec: ResourceRecord | undefined): Mode {
  const self = c.snap.self;
  const hostState = c.manager?.hosts[self]?.state;
  if (!rec) return "stop";
  if (hostState === "suspect" || hostState === "fencing") {
    // being fenced: leave isolation-none resources alone (the device decides), stop the rest
    const keep = rec.node === self && c.snap.spec.resources[r]?.isolationResponse === "none";
    return keep ? "keep" : "stop";
  }
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
  c.actions.push({ type: "watchdog", op: "pet" });
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
  } else if (mode === "migrate-out" && running && rec?.target && !inFlight.has(`migrate:${r}`)) {
    log(c, `resource ${r}`, `live-migrating ${c.snap.self} -> ${rec.target}`);
    c.actions.push({ type: "migrate", resource: r, target: rec.target });
  } else if (mode === "stop" && running && !inFlight.has(`stop:${r}`)) {
    log(c, `resource ${r}`, `stopping on ${c.snap.self} (${whyStop(rec)})`);
    c.actions.push({ type: "stop", resource: r, mode: "stop" });
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
  ev: Exclude<CoreEvent, { type: "tick" | "store-unreachable" | "fence-result" | "commit-failed" }>,
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
  if (!spec || !rec || ev.type === "stop-result") return;
  const op = ev.type === "start-result" ? "start" : "migrate";
  if (op === "migrate" || !ev.retryable) {
    local.failed[r] = { epoch: rec.epoch, op, reason: ev.error ?? `${op} failed` };
  } else {
    const v = spendRestart(local, r, spec, c.now);
    if (!v.restart) local.failed[r] = { epoch: rec.epoch, op, reason: `${ev.error ?? ""}; ${v.reason}` };
  }
}

/** Store unreachable: count down to the isolation response, then stop/kill what must stop. */
function isolation(c: Lctx): void {
  const { local, snap, now } = c;
  local.running = [...snap.running];
  const ttl = snap.spec.timing.leaseTtlMs;
  const lostAt = local.leaseOkAt === undefined ? now : local.leaseOkAt + ttl;
  if (now < lostAt) {
    c.notes.push({
      rank: 0,
      text: `${snap.self}: store unreachable; isolation response in ${fmtMs(lostAt - now)}`,
    });
    return;
  }
  const stop: string[] = [];
  const kill: string[] = [];
  const keep: string[] = [];
  for (const r of local.running) {
    const how = snap.spec.resources[r]?.isolationResponse ?? "stop";
    (how === "kill" ? kill : how === "none" ? keep : stop).push(r);
  }
  const inFlight = new Set(snap.inFlight);
  const todoStop = stop.filter((r) => !inFlight.has(`stop:${r}`));
  const todoKill = kill.filter((r) => !inFlight.has(`stop:${r}`));
  if (!local.isolated || todoStop.length || todoKill.length) {
    if (!local.isolated) {
      log(
        c,
        "isolation",
        `lease lost: isolation response (stop ${fmtList(stop)}, kill ${fmtList(kill)}, keep ${fmtList(keep)})`,
        "warn",
      );
    }
    local.isolated = true;
    if (todoStop.length || todoKill.length)
      c.actions.push({ type: "self-fence", stop: todoStop, kill: todoKill, keep });
  }
  petIfSafe(c);
  c.notes.push({
    rank: 0,
    text: `${snap.self}: isolated from the store (lease lost); keeping ${keep.length} isolation-none resource(s)`,
  });
}

/** While isolated, the watchdog is petted only once nothing that must stop still runs. */
function petIfSafe(c: Lctx): void {
  const busy = c.local.running.some(
    (r) => (c.snap.spec.resources[r]?.isolationResponse ?? "stop") !== "none",
  );
  if (!busy) c.actions.push({ type: "watchdog", op: "pet" });
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
