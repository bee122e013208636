// The primary's host state machine: lease expiry -> suspect -> (rejoinGraceMs without a new
// lease) fencing -> fenced, and the
// proof rule (principle 5): a failed host's resources are freed for recovery only after its
// fence device confirmed it off, or after its lease expired and the self-fence deadline
// passed -- and then only resources whose isolation response stops them (stop/kill); a
// resource with isolation response `none` keeps running on an isolated host, so it waits for
// the device. Pure.
import { fmtMs, type ManagerContext } from "./context";
import type { CoreEvent, HostRecord } from "./model";

export function stepHosts(ctx: ManagerContext, event: CoreEvent): void {
  if (event.type === "fence-result") onFenceResult(ctx, event);
  if (event.type === "power-status") onPowerStatus(ctx, event);
  // status probes on ticks only: a result must not ask again at once (a failing device answers
  // in milliseconds, and each answer is decided on in the same iteration)
  const probe = event.type === "tick";
  for (const name of Object.keys(ctx.spec.hosts).sort()) stepHost(ctx, name, probe);
  for (const h of Object.keys(ctx.observed)) {
    const st = ctx.state.hosts[h]?.state;
    if (st !== "fencing" && st !== "suspect") delete ctx.observed[h];
  }
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

/**
 * A suspect host's device says it is off: that is the proof fencing would wait for (the same
 * `status` that confirms a power-off), so its resources need not wait for the rejoin grace. A
 * host whose lease is back is left to the state machine (a device that says off while the host
 * renews is no proof).
 */
function onPowerStatus(ctx: ManagerContext, ev: Extract<CoreEvent, { type: "power-status" }>): void {
  const rec = ctx.state.hosts[ev.host];
  if (rec?.state !== "suspect" || ctx.leases.has(ev.host)) return;
  if (!ev.off) {
    if (ev.error) ctx.log(`host ${ev.host}`, `fence device status: ${ev.error}`, "warn");
    return;
  }
  ctx.hostState(ev.host, "fencing", "its fence device reports it off");
  ctx.host(ev.host).fence = { attempts: 0, confirmedAt: ctx.now };
  ctx.log(`host ${ev.host}`, "fence device reports it off (status): no need to wait for its return");
  markRecovering(ctx, ev.host);
  progressFencing(ctx, ev.host);
}

function stepHost(ctx: ManagerContext, name: string, probe: boolean): void {
  const rec = ctx.state.hosts[name]!;
  const alive = ctx.leases.has(name);
  const s = rec.state;
  if (s === "offline") {
    if (alive) ctx.hostState(name, "online", "lease granted");
  } else if (s === "fenced") {
    // the lease of a host fenced a moment ago may still be alive: only a report by an agent
    // that had read the fence (the rebooted one, on its new lease) shows that it is back
    const rep = ctx.view.reports[name];
    if (alive && rep && rep.managerRevision > (rec.rev ?? -1))
      ctx.hostState(name, "online", "back with a new lease after fencing");
  } else if (s === "online" || s === "maintenance") {
    if (alive) noteWatchdog(ctx, name);
    if (!alive) suspect(ctx, name, probe);
    else if (s === "online" && ctx.maintenance.has(name))
      ctx.hostState(name, "maintenance", "operator requested maintenance");
    else if (s === "maintenance" && !ctx.maintenance.has(name))
      ctx.hostState(name, "online", "maintenance ended");
  } else if (s === "suspect") {
    if (alive) ctx.hostState(name, "online", "back with a live lease before fencing began");
    else graceOrFence(ctx, name, probe);
  } else {
    progressFencing(ctx, name);
  }
}

/** Keeps the host's advertised watchdog in its record: the self-fence rule depends on it. */
function noteWatchdog(ctx: ManagerContext, name: string): void {
  const rep = ctx.view.reports[name];
  if (!rep) return;
  const ms = rep.watchdogMs;
  if (ctx.state.hosts[name]?.watchdogMs === ms) return;
  const h = ctx.host(name);
  if (ms === undefined) delete h.watchdogMs;
  else h.watchdogMs = ms;
}

/** Lease key gone: suspect; fencing begins once the rejoin grace passed without its return. */
function suspect(ctx: ManagerContext, name: string, probe: boolean): void {
  ctx.hostState(name, "suspect", "lease expired");
  const h = ctx.host(name);
  h.expiredAt = ctx.now;
  ctx.observed[name] = ctx.now;
  delete h.fence;
  graceOrFence(ctx, name, probe);
}

/**
 * etcd can revoke a lease its host kept renewing (a leader frozen past the TTL does it on
 * resuming, etcd-io/etcd#15247): a healthy host learns it at its next renewal and comes back
 * with a new lease at once. So fencing begins only rejoinGraceMs after this primary's own
 * sighting (a stored suspect of an older primary counts from now), and the commit that begins
 * it requires the host's lease key to be absent (fencingGuard), so a host whose new key landed
 * first is never fenced for it. A grace of 0 fences at once.
 */
function graceOrFence(ctx: ManagerContext, name: string, probe: boolean): void {
  ctx.observed[name] ??= ctx.now;
  const left = rejoinGraceEnd(ctx.observed[name]!, ctx.spec.timing) - ctx.now;
  if (left <= 0) {
    beginFencing(ctx, name);
    return;
  }
  // A host that lost its power is off at once: its device's status proves it without waiting.
  const device = ctx.spec.hosts[name]?.fence;
  if (probe && device && !ctx.inFlight.has(`status:${name}`))
    ctx.actions.push({ type: "power-status", host: name, device });
  ctx.note(0, `${name} suspect: lease gone; fencing in ${fmtMs(left)} unless it comes back with a new lease`);
}

/** When fencing of a suspect host begins, from this primary's sighting of its missing lease key. */
export function rejoinGraceEnd(sightedAt: number, t: { rejoinGraceMs: number }): number {
  return sightedAt + t.rejoinGraceMs;
}

/**
 * Hosts whose lease key must be absent for `next` to be committed over `prev`: those it moves
 * into fencing/fenced. A host that came back with a new lease between this primary's read and
 * its commit fails the commit instead of being fenced (the primary decides again on a new read).
 */
export function fencingGuard(
  prev: { hosts: Record<string, { state: string }> } | undefined,
  next: { hosts: Record<string, { state: string }> },
): string[] {
  const failing = (s: string | undefined) => s === "fencing" || s === "fenced";
  return Object.keys(next.hosts)
    .filter((h) => failing(next.hosts[h]!.state) && !failing(prev?.hosts[h]?.state))
    .sort();
}

/**
 * When the self-fence deadline falls, counted from this primary's sighting of the missing lease
 * key. A key deleted while its lease lives (by hand, or a put that failed) is seen up to one TTL
 * before that lease could expire, and the host counts its isolation from its last renewal: so
 * one TTL is added to the deadline (timing.ts: the host is done by its last ack + L + D - S).
 */
export function selfFenceDeadline(
  sightedAt: number,
  t: { leaseTtlMs: number; selfFenceDeadlineMs: number },
): number {
  return sightedAt + t.leaseTtlMs + t.selfFenceDeadlineMs;
}

/**
 * The self-fence rule needs a watchdog that bounds a hung agent: only a host that reported an
 * armed one no longer than timing.watchdogTimeoutMs is freed by the deadline alone.
 */
function selfFences(ctx: ManagerContext, rec: HostRecord): boolean {
  return rec.watchdogMs !== undefined && rec.watchdogMs <= ctx.spec.timing.watchdogTimeoutMs;
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
  const alive = ctx.leases.has(name);
  if (rec.fence?.confirmedAt !== undefined && alive) {
    // A host that renews a lease after its device said "off" is not off (wrong plug, a BMC
    // that lies): that is no proof.
    const h = ctx.host(name);
    h.fence = { ...h.fence!, lastError: "device said off, but the host still renews its lease" };
    delete h.fence.confirmedAt;
    ctx.log(`host ${name}`, "fence device said off, but the host still renews its lease: not proof", "error");
  } else if (rec.fence?.confirmedAt !== undefined) {
    freeResources(ctx, name, true);
    ctx.hostState(name, "fenced", "fence device confirmed off");
    return;
  }
  // The deadline runs from this primary's own sighting of the expiry: a time written by
  // another primary, on another clock, is never trusted.
  ctx.observed[name] ??= ctx.now;
  const deadline = selfFenceDeadline(ctx.observed[name]!, t);
  const waiting: string[] = [];
  if (alive) {
    // back with a new lease before any proof: its own fresh report is the proof
    if (rejoin(ctx, name, rec)) return;
  } else if (ctx.now >= deadline && selfFences(ctx, rec)) {
    waiting.push(...freeResources(ctx, name, false));
    if (waiting.length === 0) {
      ctx.hostState(
        name,
        "fenced",
        `self-fence deadline passed (lease key gone + ${fmtMs(t.leaseTtlMs + t.selfFenceDeadlineMs)}, watchdog ${fmtMs(rec.watchdogMs!)})`,
      );
      return;
    }
  }
  const device = ctx.spec.hosts[name]?.fence;
  if (device) maybeFence(ctx, name, rec, device);
  ctx.note(0, fencingSentence(ctx, name, rec, deadline, waiting));
}

/**
 * The host is back with a live lease while being fenced. Its agent saw itself fencing and
 * stopped what must stop; a report it made after reading that state, from a successful list,
 * is the proof: what it runs with isolation response none stays there, what it surely does not
 * run is freed, and it is online again once nothing is unaccounted for.
 */
function rejoin(ctx: ManagerContext, name: string, rec: HostRecord): boolean {
  const rep = ctx.view.reports[name];
  if (!rep?.listed || rep.managerRevision <= (rec.rev ?? -1)) return false;
  let open = 0;
  const all = ctx.state.resources;
  for (const r in all) {
    const res = all[r]!;
    if (res.node !== name || res.state !== "recovering" || res.target) continue;
    const runs = rep.running.includes(r) || rep.busy.includes(r);
    if (runs && ctx.spec.resources[r]?.isolationResponse === "none" && rep.running.includes(r)) {
      const m = ctx.res(r);
      m.epoch = ctx.nextEpoch();
      ctx.resState(r, "started", `still running on ${name}, which is back`);
    } else if (runs) {
      open++;
    } else {
      delete ctx.res(r).node;
      ctx.log(`resource ${r}`, `freed: ${name} is back and does not run it`);
    }
  }
  if (open > 0) {
    ctx.note(0, `fencing ${name}: it is back; waiting for it to stop ${open} resource(s)`);
    return false;
  }
  ctx.hostState(name, "online", "back with a live lease; its resources are accounted for");
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

function fencingSentence(
  ctx: ManagerContext,
  name: string,
  rec: HostRecord,
  deadline: number,
  waiting: string[],
): string {
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
  if (!selfFences(ctx, rec)) {
    return `fencing ${name}: ${dev}; no self-fence deadline (the host reported no watchdog of at most ${fmtMs(ctx.spec.timing.watchdogTimeoutMs)})`;
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
