// The primary's resource state machine, driven by the hosts' reports: starting -> started,
// stopping -> stopped, migrating/relocating -> started on the target, reported failures ->
// relocate (at most maxRelocations) -> error. Placement, admission, drain and failback are in
// plan.ts. Pure.
import type { ManagerContext } from "./context";
import type { FailureReport, HostReport, ResourceRecord } from "./model";
import type { ResourceSpec } from "./spec";

/** A report of `host` the primary may trust: its lease is alive and it is online/maintenance. */
export function trustedReport(ctx: ManagerContext, host: string | undefined): HostReport | undefined {
  return ctx.trusted(host);
}

function failureOf(rep: HostReport | undefined, r: string, rec: ResourceRecord): FailureReport | undefined {
  const f = rep?.failed[r];
  return f && f.epoch === rec.epoch ? f : undefined;
}

/**
 * Advances every resource; returns the names that need a host (in spec order) and what the
 * admitted (protected) resources reserve, counted in the same pass.
 */
export function stepResources(ctx: ManagerContext): {
  pending: string[];
  reserved: { cpu: number; mem: number };
} {
  const pending: string[] = [];
  const reserved = { cpu: 0, mem: 0 };
  const specs = ctx.spec.resources;
  for (const r in specs) {
    const spec = specs[r]!;
    if (stepResource(ctx, r, spec)) pending.push(r);
    const rec = ctx.state.resources[r];
    if (spec.state === "started") {
      ctx.census.protected++;
      if (rec?.state === "started") ctx.census.started++;
    }
    if (rec?.admitted) {
      reserved.cpu += spec.reservation.cpu;
      reserved.mem += spec.reservation.memoryMiB;
    }
  }
  return { pending, reserved };
}

/** One resource; returns true if it needs placement. */
function stepResource(ctx: ManagerContext, r: string, spec: ResourceSpec): boolean {
  let rec = ctx.state.resources[r]!;
  if (spec.state === "disabled") {
    if (rec.state !== "disabled") {
      ctx.resState(r, "disabled", "spec state disabled: not managed by HA");
      const m = ctx.res(r);
      delete m.node;
      delete m.target;
      m.admitted = false;
    }
    return false;
  }
  if (rec.state === "disabled") {
    ctx.resState(r, "stopped", "managed by HA again");
    rec = ctx.state.resources[r]!;
  }
  const want = spec.state === "started";
  if (!want && rec.admitted) ctx.res(r).admitted = false;
  switch (rec.state) {
    case "error":
      ctx.note(3, `resource ${r} in error: ${rec.reason ?? ""} (change its spec to clear)`);
      return false;
    case "stopped":
      return want;
    case "recovering":
      if (rec.node && rec.target) return resolveTwoSided(ctx, r, spec, rec) && want;
      if (rec.node) {
        ctx.note(1, `recovering ${r}: waiting for proof that ${rec.node} is off`);
        return false;
      }
      if (!want) ctx.resState(r, "stopped", "spec says stopped");
      return want;
    case "starting":
    case "started":
      return stepRunning(ctx, r, spec, rec, want);
    case "stopping":
      return stepStopping(ctx, r, rec, want);
    case "migrating":
    case "relocating":
      stepMoving(ctx, r, rec);
      return false;
    default:
      return false;
  }
}

function stepRunning(
  ctx: ManagerContext,
  r: string,
  spec: ResourceSpec,
  rec: ResourceRecord,
  want: boolean,
): boolean {
  if (!want) {
    ctx.res(r).epoch = ctx.nextEpoch();
    ctx.resState(r, "stopping", "spec says stopped");
    return false;
  }
  const rep = trustedReport(ctx, rec.node);
  const failed = failureOf(rep, r, rec);
  // moving it on needs proof that it is gone there (a list, nothing in flight): a failed start
  // may still be cleaning up a half-created domain
  if (failed && ctx.proof(rec.node, r, rec.rev) !== "stopped") {
    ctx.note(1, `${r} failed on ${rec.node}: waiting for it to stop there before moving it`);
    return false;
  }
  if (failed) return onFailure(ctx, r, spec, rec, failed);
  if (rec.state === "starting") {
    if (rep?.running.includes(r)) ctx.resState(r, "started", `running on ${rec.node}`);
    else ctx.note(2, `starting ${r} on ${rec.node}`);
  } else if (rec.relocations > 0 && ctx.now - rec.since >= spec.monitoring.restartWindowMs) {
    const m = ctx.res(r);
    m.relocations = 0;
    delete m.failedOn;
    ctx.log(`resource ${r}`, "relocation count reset: stable for the restart window");
  }
  return false;
}

function stepStopping(ctx: ManagerContext, r: string, rec: ResourceRecord, want: boolean): boolean {
  if (!rec.node) {
    ctx.resState(r, "stopped", "stopped (no host)");
    return want;
  }
  const p = ctx.proof(rec.node, r, rec.rev);
  if (p === "unknown") {
    ctx.note(2, `stopping ${r} on ${rec.node}: waiting for a report made after the stop was asked`);
    return false;
  }
  if (p === "running") {
    ctx.note(2, `stopping ${r} on ${rec.node}`);
    return false;
  }
  const on = rec.node;
  delete ctx.res(r).node;
  ctx.resState(r, "stopped", `stopped on ${on}`);
  return want;
}

function stepMoving(ctx: ManagerContext, r: string, rec: ResourceRecord): void {
  const from = trustedReport(ctx, rec.node);
  const to = trustedReport(ctx, rec.target);
  const verb = rec.state === "migrating" ? "migrating" : "relocating";
  // the source's own word that it handed the resource over beats any failure it reported
  const handedOver = rec.state === "migrating" && from?.migrated?.[r] === rec.epoch;
  const failed = handedOver ? undefined : failureOf(from, r, rec);
  if (failed && from?.busy.includes(r)) {
    // an operation on r is still in flight there (a late migrate, a cleanup): settle nothing yet
    ctx.note(2, `${verb} ${r}: waiting for ${rec.node} to finish its operation on it`);
    return;
  }
  if (failed) {
    // The source's failure says its operation failed, not where the resource is: a migration
    // may have landed while the agent that started it died. Settle by the target's fresh report.
    const there = rec.state === "migrating" ? ctx.proof(rec.target, r, rec.rev) : "stopped";
    if (there === "running") {
      arrive(
        ctx,
        r,
        rec,
        "started",
        `migrated from ${rec.node} (its agent reported a failure: ${failed.reason})`,
      );
      return;
    }
    if (there === "unknown") {
      ctx.note(2, `${verb} ${r}: ${rec.node} reports a failure; waiting for ${rec.target}'s report`);
      return;
    }
    const m = ctx.res(r);
    delete m.target;
    if (rec.target) m.failedTarget = rec.target;
    m.epoch = ctx.nextEpoch();
    ctx.resState(r, "started", `${verb} to ${rec.target} failed (${failed.reason}): stays on ${rec.node}`);
    return;
  }
  if (rec.state === "migrating" && from?.migrated?.[r] === rec.epoch) {
    // the source's agent says it handed the resource over (its migrate call succeeded); if it
    // died on the target since, the target's agent starts it again
    arrive(ctx, r, rec, "started", `migrated from ${rec.node}`);
  } else if (
    rec.state === "migrating" &&
    to?.running.includes(r) &&
    ctx.proof(rec.node, r, rec.rev) === "stopped"
  ) {
    arrive(ctx, r, rec, "started", `migrated from ${rec.node}`);
  } else if (rec.state === "relocating" && ctx.proof(rec.node, r, rec.rev) === "stopped") {
    arrive(ctx, r, rec, "starting", `stopped on ${rec.node}, starting on ${rec.target}`);
  } else if (
    rec.state === "migrating" &&
    ctx.proof(rec.node, r, rec.rev) === "stopped" &&
    ctx.proof(rec.target, r, rec.rev) === "stopped"
  ) {
    // gone from both sides without the source saying it handed it over (a migration started
    // for an earlier assignment landed elsewhere): free it, the host that has it stops it
    const m = ctx.res(r);
    const [from, to] = [rec.node, rec.target];
    delete m.node;
    delete m.target;
    m.epoch = ctx.nextEpoch();
    ctx.resState(r, "recovering", `migrating ${from} -> ${to}: runs on neither`);
  } else {
    ctx.note(2, `${verb} ${r} from ${rec.node} to ${rec.target}`);
  }
}

function arrive(
  ctx: ManagerContext,
  r: string,
  rec: ResourceRecord,
  to: "started" | "starting",
  why: string,
) {
  const m = ctx.res(r);
  m.node = rec.target;
  delete m.failedTarget;
  delete m.target;
  if (m.home === m.node) delete m.home;
  m.epoch = ctx.nextEpoch();
  ctx.resState(r, to, why);
}

/** A host's agent gave up on r: relocate while relocations remain, else error. */
function onFailure(
  ctx: ManagerContext,
  r: string,
  spec: ResourceSpec,
  rec: ResourceRecord,
  f: FailureReport,
): boolean {
  const max = spec.monitoring.maxRelocations;
  const what = `${f.op} failed on ${rec.node}: ${f.reason}`;
  const m = ctx.res(r);
  m.epoch = ctx.nextEpoch();
  if (rec.relocations >= max) {
    ctx.resState(r, "error", `${what}; ${rec.relocations} of ${max} relocation(s) used`);
    return false;
  }
  m.relocations = rec.relocations + 1;
  m.home = rec.home ?? rec.node;
  delete m.node;
  ctx.resState(r, "recovering", `${what}; relocation ${m.relocations} of ${max}`);
  if (rec.node && !rec.failedOn?.includes(rec.node)) m.failedOn = [...(rec.failedOn ?? []), rec.node];
  return true;
}

type Side = "cleared" | "running" | "unknown";

/** Is r surely not on host h (cleared), running there, or unknown? */
function sideOf(ctx: ManagerContext, h: string, r: string, spec: ResourceSpec, rec: ResourceRecord): Side {
  const st = ctx.state.hosts[h];
  if (!st) return "cleared";
  if (st.state === "fenced") {
    return st.fence?.confirmedAt !== undefined || spec.isolationResponse !== "none" ? "cleared" : "unknown";
  }
  const p = ctx.proof(h, r, rec.rev);
  return p === "stopped" ? "cleared" : p;
}

/** A resource interrupted in a move: wait until both sides are known. True if freed. */
function resolveTwoSided(ctx: ManagerContext, r: string, spec: ResourceSpec, rec: ResourceRecord): boolean {
  const a = rec.node!;
  const b = rec.target!;
  const sa = sideOf(ctx, a, r, spec, rec);
  const sb = sideOf(ctx, b, r, spec, rec);
  if ((sa === "running" && sb === "cleared") || (sb === "running" && sa === "cleared")) {
    const on = sa === "running" ? a : b;
    const m = ctx.res(r);
    m.node = on;
    delete m.target;
    m.epoch = ctx.nextEpoch();
    ctx.resState(r, "started", `interrupted move: still running on ${on}`);
    return false;
  }
  if (sa === "cleared" && sb === "cleared") {
    const m = ctx.res(r);
    delete m.node;
    delete m.target;
    ctx.log(`resource ${r}`, `freed: runs on neither ${a} nor ${b}`);
    return true;
  }
  ctx.note(1, `recovering ${r}: interrupted move, waiting to know whether it runs on ${a} or ${b}`);
  return false;
}
