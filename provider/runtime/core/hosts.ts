// The primary's host state machine: lease expiry -> suspect -> fencing -> fenced, and the
// proof rule (principle 5): a failed host's resources are freed for recovery only after its
// fence device confirmed it off, or after its lease expired and the self-fence deadline
// passed -- and then only resources whose isolation response stops them (stop/kill); a
// resource with isolation response `none` keeps running on an isolated host, so it waits for
// the device. Pure.
import { fmtMs, type ManagerContext } from "./context";
import type { CoreEvent, HostRecord } from "./model";

export function stepHosts(ctx: ManagerContext, event: CoreEvent): void {
  if (event.type === "fence-result") onFenceResult(ctx, event);
  for (const name of Object.keys(ctx.spec.hosts).sort()) stepHost(ctx, name);
}

function onFenceResult(ctx: ManagerContext, ev: Extract<CoreEvent, { type: "fence-result" }>): void {
  const rec = ctx.state.hosts[ev.host];
  if (rec?.state !== "fencing") return;
  const h = ctx.host(ev.host);
  const fence = h.fence ?? { attempts: 0 };
  h.fence = fence;
  if (ev.off) {
    fence.confirmedAt = ctx.now;
    delete fence.lastError;
    ctx.log(`host ${ev.host}`, `fence device confirmed off (attempt ${fence.attempts})`);
  } else {
    fence.lastError = ev.error ?? "device reports the host still on";
    ctx.log(`host ${ev.host}`, `fence attempt ${fence.attempts} failed: ${fence.lastError}`, "warn");
  }
}

function stepHost(ctx: ManagerContext, name: string): void {
  const rec = ctx.state.hosts[name]!;
  const alive = ctx.leases.has(name);
  const s = rec.state;
  if (s === "offline") {
    if (alive) ctx.hostState(name, "online", "lease granted");
  } else if (s === "fenced") {
    // the lease of a host fenced a moment ago may still be alive: only a report written after
    // the fence (by the rebooted agent, on its new lease) shows that it is back
    const rep = ctx.view.reports[name];
    if (alive && rep && rep.at > rec.since)
      ctx.hostState(name, "online", "back with a new lease after fencing");
  } else if (s === "online" || s === "maintenance") {
    if (!alive) suspect(ctx, name);
    else if (s === "online" && ctx.maintenance.has(name))
      ctx.hostState(name, "maintenance", "operator requested maintenance");
    else if (s === "maintenance" && !ctx.maintenance.has(name))
      ctx.hostState(name, "online", "maintenance ended");
  } else if (s === "suspect") {
    if (alive) ctx.hostState(name, "online", "lease renewed before fencing began");
    else beginFencing(ctx, name);
  } else {
    progressFencing(ctx, name);
  }
}

/** Lease gone: suspect, and fencing begins in the same step (one commit records both). */
function suspect(ctx: ManagerContext, name: string): void {
  ctx.hostState(name, "suspect", "lease expired");
  const h = ctx.host(name);
  h.expiredAt = ctx.now;
  delete h.fence;
  beginFencing(ctx, name);
}

function beginFencing(ctx: ManagerContext, name: string): void {
  const device = ctx.spec.hosts[name]?.fence;
  ctx.hostState(
    name,
    "fencing",
    device ? `fencing through ${device.agent}` : "no fence device: waiting for the self-fence deadline",
  );
  ctx.host(name).fence = { attempts: 0 };
  markRecovering(ctx, name);
  progressFencing(ctx, name);
}

/**
 * Resources on a failed host wait for proof, with node = that host. A resource caught in a
 * move (migrating/relocating) may be on either side: it keeps both (node = failed host,
 * target = the other) and resources.ts resolves it once each side is accounted for.
 */
function markRecovering(ctx: ManagerContext, host: string): void {
  const all = ctx.state.resources;
  for (const r in all) {
    const rec = all[r]!;
    if (rec.node !== host && rec.target !== host) continue;
    if (rec.state === "stopped" || rec.state === "disabled" || rec.state === "recovering") continue;
    const m = ctx.res(r);
    if (rec.state === "error") {
      m.node = host;
      delete m.target;
      continue;
    }
    const other = rec.node === host ? rec.target : rec.node;
    m.node = host;
    m.home = rec.home ?? rec.node;
    if (other) m.target = other;
    else delete m.target;
    const why = other
      ? `host ${host} failed during a move between ${rec.node} and ${rec.target}`
      : `host ${host} failed`;
    ctx.resState(r, "recovering", why);
  }
}

function progressFencing(ctx: ManagerContext, name: string): void {
  const rec = ctx.state.hosts[name]!;
  const t = ctx.spec.timing;
  if (rec.fence?.confirmedAt !== undefined) {
    freeResources(ctx, name, true);
    ctx.hostState(name, "fenced", "fence device confirmed off");
    return;
  }
  const deadline = (rec.expiredAt ?? rec.since) + t.selfFenceDeadlineMs;
  const waiting: string[] = [];
  if (ctx.now >= deadline) {
    waiting.push(...freeResources(ctx, name, false));
    if (waiting.length === 0) {
      ctx.hostState(
        name,
        "fenced",
        `self-fence deadline passed (lease expiry + ${fmtMs(t.selfFenceDeadlineMs)})`,
      );
      return;
    }
    if (rejoin(ctx, name, rec, waiting)) return;
  }
  const device = ctx.spec.hosts[name]?.fence;
  if (device) maybeFence(ctx, name, rec, device);
  ctx.note(0, fencingSentence(ctx, name, deadline, waiting));
}

/**
 * Past the deadline, isolation-none resources still wait for proof. If the host is back (live
 * lease and a report written since its lease expired), its own agent is that proof: what it
 * runs stays there, what it does not run is freed, and the host is online again.
 */
function rejoin(ctx: ManagerContext, name: string, rec: HostRecord, waiting: string[]): boolean {
  const rep = ctx.view.reports[name];
  if (!ctx.leases.has(name) || !rep || rep.at < (rec.expiredAt ?? rec.since)) return false;
  for (const r of waiting) {
    if (ctx.state.resources[r]?.target) continue; // interrupted move: resources.ts weighs both sides
    const m = ctx.res(r);
    if (rep.running.includes(r)) {
      m.epoch = ctx.nextEpoch();
      ctx.resState(r, "started", `still running on ${name}, which is back`);
    } else {
      delete m.node;
      ctx.log(`resource ${r}`, `freed: ${name} is back and does not run it`);
    }
  }
  ctx.hostState(
    name,
    "online",
    "back after its self-fence deadline; its isolation-none resources are accounted for",
  );
  return true;
}

function maybeFence(
  ctx: ManagerContext,
  name: string,
  rec: HostRecord,
  device: NonNullable<ManagerContext["spec"]["hosts"][string]["fence"]>,
): void {
  if (ctx.inFlight.has(`fence:${name}`)) return;
  const f = rec.fence ?? { attempts: 0 };
  const backoff = ctx.spec.timing.keepaliveIntervalMs * 2 ** Math.min(Math.max(f.attempts - 1, 0), 3);
  if (f.attempts > 0 && f.lastAttemptAt !== undefined && ctx.now - f.lastAttemptAt < backoff) return;
  const h = ctx.host(name);
  h.fence = { ...f, attempts: f.attempts + 1, lastAttemptAt: ctx.now };
  ctx.log(`host ${name}`, `fence attempt ${f.attempts + 1} through ${device.agent}`);
  ctx.actions.push({ type: "fence", host: name, device });
}

function fencingSentence(ctx: ManagerContext, name: string, deadline: number, waiting: string[]): string {
  const rec = ctx.state.hosts[name]!;
  const device = ctx.spec.hosts[name]?.fence;
  const f = rec.fence;
  const dev = device
    ? f?.lastError
      ? `device ${device.agent} failed ${f.attempts}x (${f.lastError}), retrying`
      : `waiting for device ${device.agent}`
    : "no fence device";
  if (waiting.length) {
    return `fencing ${name}: ${dev}; ${waiting.join(", ")} (isolation response none) wait for the device`;
  }
  return `fencing ${name}: ${dev}; self-fence deadline in ${fmtMs(deadline - ctx.now)}`;
}

/**
 * Frees the resources of a failed host for recovery. With device proof: all of them. Without:
 * only those whose isolation response stops them; returns the ones still waiting.
 */
function freeResources(ctx: ManagerContext, host: string, proven: boolean): string[] {
  const waiting: string[] = [];
  const all = ctx.state.resources;
  for (const r in all) {
    const rec = all[r]!;
    if (rec.node !== host && rec.target !== host) continue;
    if (rec.state !== "recovering" && rec.state !== "error") continue;
    const spec = ctx.spec.resources[r];
    if (!proven && spec?.isolationResponse === "none" && rec.state === "recovering") {
      waiting.push(r);
      continue;
    }
    if (rec.target) continue; // two-sided: resolved in resources.ts once both sides are known
    const m = ctx.res(r);
    delete m.node;
    if (rec.state === "recovering") {
      ctx.log(
        `resource ${r}`,
        proven ? `freed: ${host} confirmed off` : `freed: ${host} past its self-fence deadline`,
      );
    }
  }
  return waiting.sort();
}
