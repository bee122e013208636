// The primary's planning step: admission control for newly protected resources, placement of
// everything that needs a host (restart priority first, start order and colocation honoured),
// maintenance drains, operator migrations and failback. Uses one PlacementIndex for the whole
// step, updated as choices are made. Pure.
import { type Capacity, checkAdmission, headroom } from "./admission";
import type { ManagerContext } from "./context";
import { hostRejects, type PlacementIndex, type Placer } from "./placement";
import { PRIORITY_RANK, type ResourceSpec } from "./spec";

function byPriority(ctx: ManagerContext, names: string[]): string[] {
  const rank = (r: string) => PRIORITY_RANK[ctx.spec.resources[r]!.priority];
  return [...names].sort((a, b) => rank(b) - rank(a) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Admission control for pending resources not admitted yet. Returns the admitted pending ones. */
export function admit(ctx: ManagerContext, pending: string[], reserved: Capacity): string[] {
  const out: string[] = [];
  const hosts = ctx.eligibleHosts();
  for (const r of byPriority(ctx, pending)) {
    const rec = ctx.state.resources[r]!;
    if (rec.admitted) {
      out.push(r);
      continue;
    }
    const s = ctx.spec.resources[r]!;
    const extra = { cpu: s.reservation.cpu, mem: s.reservation.memoryMiB };
    const v = checkAdmission(ctx.spec, hosts, reserved, r, extra);
    if (v.ok) {
      ctx.res(r).admitted = true;
      reserved.cpu += extra.cpu;
      reserved.mem += extra.mem;
      ctx.log(`resource ${r}`, "admitted (protected)");
      out.push(r);
    } else if (rec.reason !== v.reason) {
      ctx.res(r).reason = v.reason;
      ctx.log(`resource ${r}`, v.reason!, "warn");
    } else {
      ctx.note(3, v.reason!);
    }
  }
  return out;
}

function depsReady(ctx: ManagerContext, spec: ResourceSpec): string | undefined {
  for (const d of spec.placement.after) {
    if (ctx.state.resources[d]?.state !== "started") return d;
  }
  return undefined;
}

/** Places admitted pending resources; several passes so colocated partners placed now count. */
export function place(ctx: ManagerContext, pending: string[], index: PlacementIndex, placer: Placer): void {
  let todo = byPriority(ctx, pending);
  for (let pass = 0; todo.length && pass < 8; pass++) {
    const later: string[] = [];
    for (const r of todo) {
      const spec = ctx.spec.resources[r]!;
      const dep = depsReady(ctx, spec);
      if (dep) {
        ctx.note(3, `${r} waits for ${dep} to start (start order)`);
        continue;
      }
      const rec = ctx.state.resources[r]!;
      const avoid = rec.failedOn ?? [];
      const req = { resource: r, spec, avoid, recovery: rec.state === "recovering" };
      let choice = placer.choose(req, index);
      // hosts it failed on are a preference, not a ban: better there than nowhere
      if ("refused" in choice && avoid.length) choice = placer.choose({ ...req, avoid: [] }, index);
      if ("host" in choice) {
        index.assign(r, choice.host);
        const m = ctx.res(r);
        m.node = choice.host;
        m.epoch = ctx.nextEpoch();
        const why = rec.state === "recovering" ? `recovered to ${choice.host}` : `placed on ${choice.host}`;
        ctx.resState(r, "starting", why);
      } else {
        later.push(r);
        if (pass > 0 || !spec.placement.colocateWith.length) refuse(ctx, r, choice.refused);
      }
    }
    if (later.length === todo.length) break;
    todo = later;
  }
}

function refuse(ctx: ManagerContext, r: string, why: string): void {
  const rec = ctx.state.resources[r]!;
  if (rec.reason !== why) {
    ctx.res(r).reason = why;
    ctx.log(`resource ${r}`, `not placed: ${why}`, "warn");
  }
  ctx.note(1, `${r}: ${why}`);
}

/** Starts a live migration (or offline relocation) of a started resource. */
function move(ctx: ManagerContext, index: PlacementIndex, r: string, target: string, why: string): void {
  const rec = ctx.state.resources[r]!;
  const spec = ctx.spec.resources[r]!;
  const live = spec.kind === "vm" && spec.migration === "live";
  index.assign(r, target);
  const m = ctx.res(r);
  m.target = target;
  m.epoch = ctx.nextEpoch();
  ctx.resState(r, live ? "migrating" : "relocating", `${why}: ${rec.node} -> ${target}`);
}

/** Drains hosts in maintenance. */
export function drain(
  ctx: ManagerContext,
  index: PlacementIndex,
  placer: Placer,
  byNode: Map<string, string[]>,
) {
  for (const h of Object.keys(ctx.spec.hosts).sort()) {
    if (ctx.state.hosts[h]?.state !== "maintenance") continue;
    let left = 0;
    for (const r of byNode.get(h) ?? []) {
      const rec = ctx.state.resources[r]!;
      if (rec.state === "starting" || rec.state === "migrating" || rec.state === "relocating") left++;
      if (rec.state !== "started") continue;
      const req = { resource: r, spec: ctx.spec.resources[r]!, avoid: [h], recovery: false };
      // after a failed move, prefer another target; retry the same one only if nothing else fits
      let choice = placer.choose(rec.failedTarget ? { ...req, avoid: [h, rec.failedTarget] } : req, index);
      if ("refused" in choice && rec.failedTarget) choice = placer.choose(req, index);
      if ("host" in choice) {
        ctx.res(r).home = h;
        move(ctx, index, r, choice.host, `draining ${h}`);
      } else {
        refuse(ctx, r, `cannot leave ${h}: ${choice.refused}`);
      }
      left++;
    }
    ctx.note(2, left ? `maintenance ${h}: draining ${left} resource(s)` : `maintenance ${h}: drained`);
  }
}

/** Operator migrate requests (each carried out or refused once). */
export function migrations(ctx: ManagerContext, index: PlacementIndex): void {
  const handled = new Set(ctx.state.handledRequests);
  // Remember exactly the handled requests that still exist (they expire or are deleted in the
  // store): a fixed-size window forgot old ones while they were still there, and replayed them.
  const present = new Set(ctx.view.migrateRequests.map((q) => q.id));
  const kept = ctx.state.handledRequests.filter((id) => present.has(id));
  if (kept.length !== ctx.state.handledRequests.length) ctx.state.handledRequests = kept;
  for (const q of ctx.view.migrateRequests) {
    if (handled.has(q.id)) continue;
    ctx.state.handledRequests = [...ctx.state.handledRequests, q.id];
    const rec = ctx.state.resources[q.resource];
    const spec = ctx.spec.resources[q.resource];
    let no: string | undefined;
    if (!rec || !spec) no = "no such resource";
    else if (rec.state !== "started") no = `it is ${rec.state}, not started`;
    else if (rec.node === q.target) no = `it already runs on ${q.target}`;
    else if (!ctx.eligibleHosts().includes(q.target)) no = `${q.target} is not online`;
    else no = hostRejects({ resource: q.resource, spec, avoid: [], recovery: false }, q.target, index);
    if (no)
      ctx.log(
        `resource ${q.resource}`,
        `migrate to ${q.target} refused: ${no === "full" || no === "banned" || no === "anti-affinity" ? `${q.target} ${no}` : no}`,
        "warn",
      );
    else move(ctx, index, q.resource, q.target, "operator request");
  }
}

/** Moves resources with failback back to their home host once it can take them. */
export function failback(ctx: ManagerContext, index: PlacementIndex, withHome: string[]): void {
  const eligible = new Set(ctx.eligibleHosts());
  for (const r of withHome) {
    const rec = ctx.state.resources[r]!;
    const spec = ctx.spec.resources[r];
    if (!spec?.failback || !rec.home || rec.state !== "started" || !eligible.has(rec.home)) continue;
    if (rec.node === rec.home) {
      delete ctx.res(r).home;
      continue;
    }
    if (hostRejects({ resource: r, spec, avoid: [], recovery: false }, rec.home, index)) continue;
    move(ctx, index, r, rec.home, "failback");
  }
}

/** The primary's steady sentence (counts from the resource pass, before this step's moves). */
export function summary(ctx: ManagerContext, reserved: Capacity): string {
  const hosts = Object.keys(ctx.spec.hosts);
  const online = hosts.filter((h) => ctx.state.hosts[h]?.state === "online");
  const { started, protected: total } = ctx.census;
  return (
    `primary: ${online.length}/${hosts.length} hosts online, ${started}/${total} resources started; ` +
    headroom(ctx.spec, ctx.eligibleHosts(), reserved)
  );
}
