// Replays a scenario (cluster spec + events) on a SimWorld and returns its log. Used by the
// `sim` CLI, the scenario test (diffs log.expect), the fuzzer and the checker tests.
import type { decide } from "../core/decide";
import { formatEvent, type SimEvent } from "./events";
import { SimWorld } from "./world";

export interface RunResult {
  world: SimWorld;
  lines: string[];
  violations: string[];
}

export interface RunOptions {
  /** Log every sentence change (scenarios) or not (fuzzing, faster). */
  verbose?: boolean;
  seed?: number;
  /** A deliberately broken decide() (checker tests). */
  decide?: typeof decide;
  /** Called once the world exists, before any event (checker tests break the world here). */
  setup?: (w: SimWorld) => void;
}

export async function runScenario(
  cluster: unknown,
  events: SimEvent[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const w = new SimWorld(cluster, opts.seed ?? 1);
  w.verbose = opts.verbose ?? true;
  w.brokenDecide = opts.decide;
  opts.setup?.(w);
  for (const e of events) {
    if (e.kind === "advance") {
      await w.advance(e.ms);
      continue;
    }
    w.say("sim", "event", formatEvent(e));
    apply(w, e);
  }
  await w.advance(0);
  return { world: w, lines: w.lines, violations: w.inv.violations };
}

export function apply(w: SimWorld, e: Exclude<SimEvent, { kind: "advance" }>): void {
  const s = w.store;
  switch (e.kind) {
    case "power":
      if (e.on) w.powerOn(w.host(e.host));
      else w.powerOff(w.host(e.host));
      return;
    case "network": {
      const h = w.host(e.host);
      h.networkOff = !e.on;
      h.storeCut = !e.on;
      w.inv.hostFault(h.name, h.storeCut ? Number.POSITIVE_INFINITY : w.now);
      return;
    }
    case "store-partition": {
      const h = w.host(e.host);
      h.storeCut = e.cut || h.networkOff;
      w.inv.hostFault(h.name, h.storeCut ? Number.POSITIVE_INFINITY : w.now);
      return;
    }
    case "store":
      storeDown(w, e.down);
      return;
    case "store-election":
      election(w, e.ms);
      return;
    case "store-latency":
      s.latencyMs = e.ms;
      noteOutage(w);
      return;
    case "store-lose":
      s.loseReplies += e.n;
      return;
    case "store-put":
      if (s.down) return; // etcdctl gets no answer either
      if (e.key === "spec") w.setSpec(e.value);
      else s.put(e.key, e.value);
      return;
    case "store-delete":
      if (!s.down) s.delete(e.key);
      return;
    case "store-revoke":
      // a revocation is a commit: it needs a leader
      if (!s.down && s.electionUntil === undefined) {
        s.revoke(e.host);
        w.inv.revoked(e.host);
      }
      return;
    case "fence":
      w.host(e.host).fenceFailures = e.failures;
      return;
    case "maintenance":
      if (e.on) s.put(`maintenance/${e.host}`, "");
      else s.delete(`maintenance/${e.host}`);
      return;
    case "spec-set":
      w.setSpec(setPath(s.spec, e.path, e.value));
      return;
    case "vm-migrate":
      w.requestMigrate(e.resource, e.host);
      return;
    default:
      applyHost(w, e);
  }
}

function applyHost(
  w: SimWorld,
  e: Extract<
    SimEvent,
    {
      kind:
        | "agent"
        | "agent-stall"
        | "agent-restart"
        | "skip-round"
        | "libvirt"
        | "clock-step"
        | "clock-rate"
        | "clock-wall"
        | "op"
        | "watchdog"
        | "vm"
        | "vm-start-fails";
    }
  >,
): void {
  switch (e.kind) {
    case "agent":
      if (e.hung) w.stall(w.host(e.host), Number.POSITIVE_INFINITY);
      else w.resume(w.host(e.host));
      return;
    case "agent-stall":
      w.stall(w.host(e.host), e.ms);
      return;
    case "skip-round": {
      const name = e.host === "primary" ? w.primary() : e.host;
      if (name) w.stall(w.host(name), w.timing.keepaliveIntervalMs);
      return;
    }
    case "agent-restart":
      w.restartAgent(w.host(e.host), e.afterMs);
      return;
    case "libvirt": {
      const hv = w.host(e.host).hv;
      hv.libvirtDownUntil = w.now + e.ms;
      hv.libvirtHang = e.hang;
      return;
    }
    case "clock-step":
      w.host(e.host).clock.wallOffset += e.ms;
      return;
    case "clock-rate":
      w.host(e.host).clock.rate = 1 + e.ppm / 1e6;
      return;
    case "clock-wall":
      w.host(e.host).clock.wallMode = true;
      return;
    case "op":
      w.ops[e.op] = [e.min, e.max];
      return;
    case "watchdog": {
      const wd = w.host(e.host).wd;
      if (e.what === "none") wd.device = false;
      else if (e.what === "broken") wd.broken = true;
      else wd.timeoutMs = e.ms ?? wd.timeoutMs;
      return;
    }
    case "vm":
      vm(w, e.resource, e.what);
      return;
    case "vm-start-fails":
      for (const h of w.hosts.values())
        if (e.host === "*" || h.name === e.host) h.hv.startFails.add(e.resource);
      return;
  }
}

/**
 * The store is out for everyone while it is down, without a leader, or so slow that calls time
 * out; each cause ends on its own (a latency change must not end an election's outage).
 */
function noteOutage(w: SimWorld): void {
  const s = w.store;
  w.inv.outage(s.down || s.electionUntil !== undefined || 2 * s.latencyMs >= s.timeoutMs);
}

function storeDown(w: SimWorld, down: boolean): void {
  const s = w.store;
  if (down === s.down) return;
  s.down = down;
  noteOutage(w);
  if (down) s.freeze();
  else if (s.electionUntil === undefined) s.unfreeze();
}

/** No leader for `ms`: requests are held, no lease expires; then every live lease is promoted. */
function election(w: SimWorld, ms: number): void {
  const s = w.store;
  const end = Math.max(s.electionUntil ?? 0, w.now + ms);
  s.electionUntil = end;
  s.freeze();
  noteOutage(w);
  w.engine.at(end, () => {
    if (s.electionUntil !== end) return;
    s.electionUntil = undefined;
    if (!s.down) s.unfreeze();
    noteOutage(w);
    for (const fn of s.held.splice(0)) fn();
  });
}

function vm(w: SimWorld, r: string, what: "crash" | "hang" | "unhealthy" | "recover" | "start-works"): void {
  for (const h of w.hosts.values()) {
    const hv = h.hv;
    if (what === "crash" && hv.running.delete(r)) hv.hung.delete(r);
    if (what === "hang" && hv.running.has(r)) hv.hung.set(r, w.now);
    if (what === "unhealthy" && hv.running.has(r)) hv.unhealthy.add(r);
    if (what === "recover") {
      hv.hung.delete(r);
      hv.unhealthy.delete(r);
    }
    if (what === "start-works") hv.startFails.delete(r);
  }
}

export function setPath(doc: unknown, path: string, value: unknown): unknown {
  // a hostile spec (42, null) is edited as an empty document, as an operator's tool would
  const out = (doc && typeof doc === "object" ? structuredClone(doc) : {}) as Record<string, unknown>;
  const keys = path.split(".");
  let cur: Record<string, unknown> = out;
  for (const k of keys.slice(0, -1)) {
    if (typeof cur[k] !== "object" || cur[k] === null) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === null) delete cur[last];
  else cur[last] = value;
  return out;
}
