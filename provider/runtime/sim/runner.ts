// Replays a scenario (cluster spec + events) on a SimWorld and returns its log. Used by the
// `sim` CLI, the scenario test (diffs log.expect) and the fuzzer.
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
}

export async function runScenario(
  cluster: unknown,
  events: SimEvent[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const w = new SimWorld(cluster);
  w.verbose = opts.verbose ?? true;
  // events before the first `advance` set the stage at 0 s, before the first round
  let booted = false;
  let skip = new Set<string>();
  for (const e of events) {
    if (e.kind === "advance" && !booted) {
      await w.round();
      booted = true;
    }
    if (e.kind === "advance") {
      await w.advance(e.ms, skip);
      skip = new Set();
      continue;
    }
    w.say("sim", "event", formatEvent(e));
    if (e.kind === "skip-round") skip.add(e.host === "primary" ? (w.primary() ?? "") : e.host);
    else apply(w, e);
  }
  if (!booted) await w.round();
  return { world: w, lines: w.lines, violations: w.inv.violations };
}

export function apply(w: SimWorld, e: Exclude<SimEvent, { kind: "advance" | "skip-round" }>): void {
  switch (e.kind) {
    case "power":
      if (e.on) w.powerOn(w.host(e.host));
      else w.powerOff(w.host(e.host));
      return;
    case "network": {
      const h = w.host(e.host);
      h.networkOff = !e.on;
      h.storeCut = !e.on;
      return;
    }
    case "store-partition":
      w.host(e.host).storeCut = e.cut || w.host(e.host).networkOff;
      return;
    case "store":
      w.setStoreDown(e.down);
      return;
    case "fence":
      w.host(e.host).fenceFailures = e.failures;
      return;
    case "agent": {
      const h = w.host(e.host);
      h.agentHung = e.hung && h.power;
      return;
    }
    case "maintenance":
      if (e.on) w.store.maintenance.add(e.host);
      else w.store.maintenance.delete(e.host);
      w.store.revision++;
      return;
    case "vm":
      vm(w, e.resource, e.what);
      return;
    case "vm-start-fails":
      for (const h of w.hosts.values()) {
        if (e.host === "*" || h.name === e.host) h.startFails.add(e.resource);
      }
      return;
    case "vm-migrate":
      w.requestMigrate(e.resource, e.host);
      return;
    case "spec-set":
      w.setSpec(setPath(w.specDoc, e.path, e.value));
      return;
  }
}

function vm(w: SimWorld, r: string, what: "crash" | "hang" | "unhealthy" | "recover" | "start-works"): void {
  for (const h of w.hosts.values()) {
    if (what === "crash" && h.running.delete(r)) h.hung.delete(r);
    if (what === "hang" && h.running.has(r)) h.hung.set(r, w.now);
    if (what === "unhealthy" && h.running.has(r)) h.unhealthy.add(r);
    if (what === "recover") {
      h.hung.delete(r);
      h.unhealthy.delete(r);
    }
    if (what === "start-works") h.startFails.delete(r);
  }
}

function setPath(doc: unknown, path: string, value: unknown): unknown {
  const out = structuredClone(doc) as Record<string, unknown>;
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
