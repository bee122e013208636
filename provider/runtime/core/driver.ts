// The shared driver loop: takes an Env, builds the snapshot, calls the pure decide(), carries
// out its actions and feeds their results back as events. The real agent (issue 5) and the
// simulator run exactly this code; only the Env differs. No IO of its own: everything goes
// through the Env, so this file is as deterministic as the Env it is given.
//
// One iteration:
//   1. keepalive, read (one consistent StoreView), campaign -> isPrimary; any StoreUnavailable
//      makes the iteration "store unreachable" (not primary, last view kept, event
//      store-unreachable) so a primary that loses the store steps down and decides nothing;
//   2. list what the local hypervisor runs;
//   3. decide(tick | store-unreachable), then decide() once per result event of the actions;
//      commit (CAS) runs first and a failed commit drops the rest of that decision;
//   4. report, pet the watchdog if the core asked for it; return the sentence.

import type { Env } from "../env";
import { decide } from "./decide";
import { mayCampaign } from "./election";
import { errorMessage, NotPrimaryError, RetryableError, StoreUnavailableError } from "./errors";
import {
  type Action,
  type CoreEvent,
  emptyLocal,
  type LocalState,
  type Snapshot,
  type StoreView,
} from "./model";
import { buildReport } from "./report";
import { type ClusterSpec, type FenceDevice, type ResourceSpec, tryParseSpec } from "./spec";

/** Per-agent memory carried across iterations. */
export interface AgentRuntime {
  local: LocalState;
  spec?: ClusterSpec;
  specRevision: number;
  view?: StoreView;
  /** Long operations still running, by key ("fence:h2", "start:web"). */
  inFlight: Map<string, Promise<CoreEvent>>;
  /** Results that arrived after the iteration that started them. */
  completed: CoreEvent[];
  lastSentence?: string;
}

export function newAgentRuntime(host: string): AgentRuntime {
  return { local: emptyLocal(host), specRevision: -1, inFlight: new Map(), completed: [] };
}

const MAX_DECISIONS = 200;

/** Runs one iteration and returns its sentence. Throws only on programming errors. */
export async function runIteration(env: Env, agent: AgentRuntime): Promise<string> {
  const now = env.clock.now();
  const read = await readStore(env, agent, now);
  if (!agent.spec || !agent.view) return say(env, agent, "waiting for a valid cluster spec in the store");
  let running: string[];
  try {
    running = await env.driver.list(agent.spec.resources);
  } catch (err) {
    env.log.log({
      level: "warn",
      host: env.host,
      subject: "driver",
      message: `list failed: ${errorMessage(err)}`,
    });
    running = agent.local.running;
  }
  const snap: Snapshot = {
    self: env.host,
    spec: agent.spec,
    view: agent.view,
    storeReachable: read.reachable,
    isPrimary: read.isPrimary,
    inFlight: [...agent.inFlight.keys()],
    running,
    local: agent.local,
  };
  const queue: CoreEvent[] = agent.completed.splice(0);
  queue.push(read.reachable ? { type: "tick" } : { type: "store-unreachable", error: read.error ?? "" });
  let sentence = "";
  let pet = false;
  for (let n = 0; n < queue.length && n < MAX_DECISIONS; n++) {
    const ev = queue[n]!;
    agent.inFlight.delete(eventKey(ev) ?? "");
    snap.inFlight = [...agent.inFlight.keys()];
    const d = decide(snap, ev, now);
    snap.local = d.next.local;
    if (ev.type === "tick" || ev.type === "store-unreachable" || ev.type === "fence-result" || !sentence) {
      sentence = d.sentence;
    }
    pet = pet || d.actions.some((a) => a.type === "watchdog");
    queue.push(...(await execute(env, agent, snap, d.actions)));
  }
  agent.local = snap.local;
  agent.view = snap.view;
  if (read.reachable) {
    try {
      await env.store.report(buildReport(agent.local, now));
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
    }
  }
  if (pet) await env.watchdog.pet();
  return say(env, agent, sentence);
}

interface ReadResult {
  reachable: boolean;
  isPrimary: boolean;
  error?: string;
}

async function readStore(env: Env, agent: AgentRuntime, now: number): Promise<ReadResult> {
  try {
    await env.store.keepalive();
    agent.local = { ...agent.local, leaseOkAt: now };
    const view = await env.store.read();
    agent.view = view;
    if (view.specRevision !== agent.specRevision) loadSpec(env, agent, view);
    const isPrimary = agent.spec ? await env.store.campaign(mayCampaign(view, env.host)) : false;
    return { reachable: true, isPrimary };
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    return { reachable: false, isPrimary: false, error: err.message };
  }
}

function loadSpec(env: Env, agent: AgentRuntime, view: StoreView): void {
  agent.specRevision = view.specRevision;
  const r = tryParseSpec(view.spec);
  if (r.ok) {
    agent.spec = r.spec;
    for (const w of r.warnings) {
      env.log.log({ level: "warn", host: env.host, subject: "spec", message: `${w.property}: ${w.reason}` });
    }
    return;
  }
  const msg = r.issues.map((i) => `${i.property}: ${i.reason}`).join("; ");
  const keep = agent.spec ? "keeping the previous spec" : "no spec to run";
  env.log.log({ level: "error", host: env.host, subject: "spec", message: `rejected (${keep}): ${msg}` });
}

function say(env: Env, agent: AgentRuntime, sentence: string): string {
  if (sentence !== agent.lastSentence) {
    env.log.log({ level: "info", host: env.host, subject: "sentence", message: sentence });
    agent.lastSentence = sentence;
  }
  return sentence;
}

/** Carries out one decision's actions; returns the result events that are already known. */
async function execute(
  env: Env,
  agent: AgentRuntime,
  snap: Snapshot,
  actions: Action[],
): Promise<CoreEvent[]> {
  const started: Array<Promise<CoreEvent | undefined>> = [];
  for (const a of actions) {
    if (a.type === "log") {
      env.log.log({ level: a.level, host: env.host, subject: a.subject, message: a.message });
    } else if (a.type === "commit") {
      if (!(await commit(env, snap, a.revision, a.state))) return [{ type: "commit-failed", error: "lost" }];
    } else if (a.type === "watchdog") {
      // petted once at the end of the iteration
    } else {
      for (const [key, op] of operations(env, snap, a)) started.push(runLong(env, agent, key, op));
    }
  }
  const results = await Promise.all(started);
  return results.filter((e): e is CoreEvent => e !== undefined);
}

async function commit(
  env: Env,
  snap: Snapshot,
  revision: number,
  state: Snapshot["view"]["manager"],
): Promise<boolean> {
  if (!state) return true;
  try {
    const rev = await env.store.commitManager(revision, state);
    snap.view = { ...snap.view, manager: state, managerRevision: rev };
    return true;
  } catch (err) {
    if (!(err instanceof NotPrimaryError || err instanceof StoreUnavailableError)) throw err;
    snap.isPrimary = false;
    env.log.log({
      level: "warn",
      host: env.host,
      subject: "primary",
      message: `stepping down: ${err.message}`,
    });
    return false;
  }
}

type Op = () => Promise<CoreEvent>;

function operations(env: Env, snap: Snapshot, a: Action): Array<[string, Op]> {
  const spec = (name: string) => snap.spec.resources[name]!;
  switch (a.type) {
    case "fence":
      return [[`fence:${a.host}`, fenceOp(env, a.host, a.device, snap.spec.timing.fenceTimeoutMs)]];
    case "start":
      return [
        [
          `start:${a.resource}`,
          opResult("start-result", a.resource, () => env.driver.start(a.resource, spec(a.resource))),
        ],
      ];
    case "stop":
      return [[`stop:${a.resource}`, stopOp(env, snap, a.resource, a.mode)]];
    case "self-fence":
      return [
        ...a.kill.map((r): [string, Op] => [`stop:${r}`, stopOp(env, snap, r, "kill")]),
        ...a.stop.map((r): [string, Op] => [`stop:${r}`, stopOp(env, snap, r, "stop")]),
      ];
    case "migrate":
      return [[`migrate:${a.resource}`, migrateOp(env, a.resource, spec(a.resource), a.target)]];
    case "monitor":
      return [[`monitor:${a.resource}`, monitorOp(env, a.resource, spec(a.resource))]];
    default:
      return [];
  }
}

function fenceOp(env: Env, host: string, device: FenceDevice, timeoutMs: number): Op {
  return () =>
    env.fencer.fence(host, device, timeoutMs).then(
      (off): CoreEvent => ({ type: "fence-result", host, off }),
      (err): CoreEvent => ({ type: "fence-result", host, off: false, error: errorMessage(err) }),
    );
}

function migrateOp(env: Env, resource: string, spec: ResourceSpec, target: string): Op {
  return () =>
    env.driver.migrate(resource, spec, target).then(
      (): CoreEvent => ({ type: "migrate-result", resource, target, ok: true }),
      (err): CoreEvent => ({
        type: "migrate-result",
        resource,
        target,
        ok: false,
        retryable: err instanceof RetryableError,
        error: errorMessage(err),
      }),
    );
}

/**
 * A monitor that throws a RetryableError (e.g. libvirt connection reset) judges nothing: it
 * must never restart a healthy resource. A TerminalError is an unhealthy result.
 */
function monitorOp(env: Env, resource: string, spec: ResourceSpec): Op {
  return () =>
    env.driver.monitor(resource, spec).then(
      (result): CoreEvent => ({ type: "monitor-result", resource, result }),
      (err): CoreEvent => ({
        type: "monitor-result",
        resource,
        result: { running: true, healthy: err instanceof RetryableError, detail: errorMessage(err) },
      }),
    );
}

function stopOp(env: Env, snap: Snapshot, name: string, mode: "stop" | "kill"): Op {
  return opResult("stop-result", name, () => env.driver.stop(name, snap.spec.resources[name]!, mode));
}

function opResult(type: "start-result" | "stop-result", resource: string, fn: () => Promise<void>): Op {
  return () =>
    fn().then(
      (): CoreEvent => ({ type, resource, ok: true }),
      (err): CoreEvent => ({
        type,
        resource,
        ok: false,
        retryable: err instanceof RetryableError,
        error: errorMessage(err),
      }),
    );
}

/** The in-flight key of the operation a result event reports on. */
function eventKey(ev: CoreEvent): string | undefined {
  switch (ev.type) {
    case "fence-result":
      return `fence:${ev.host}`;
    case "start-result":
    case "stop-result":
    case "migrate-result":
    case "monitor-result":
      return `${ev.type.replace("-result", "")}:${ev.resource}`;
    default:
      return undefined;
  }
}

/**
 * Starts `op` unless one with the same key is in flight; waits at most clock.budgetMs(). The
 * key stays in flight until the core has seen the result, so it is never started twice.
 */
async function runLong(env: Env, agent: AgentRuntime, key: string, op: Op): Promise<CoreEvent | undefined> {
  if (agent.inFlight.has(key)) return undefined;
  const p = op();
  agent.inFlight.set(key, p);
  const done = await Promise.race([
    p.then((ev) => ({ ev })),
    env.clock.sleep(env.clock.budgetMs()).then(() => undefined),
  ]);
  if (done) return done.ev;
  void p.then((ev) => {
    agent.completed.push(ev);
  });
  return undefined;
}

/** Runs iterations every keepaliveIntervalMs until `signal` aborts. Arms the watchdog first. */
export async function runAgent(
  env: Env,
  opts: { signal?: AbortSignal; onSentence?: (s: string) => void } = {},
) {
  const agent = newAgentRuntime(env.host);
  let armed = false;
  while (!opts.signal?.aborted) {
    const began = env.clock.now();
    const sentence = await runIteration(env, agent);
    opts.onSentence?.(sentence);
    if (!armed && agent.spec) {
      await env.watchdog.arm(agent.spec.timing.watchdogTimeoutMs);
      armed = true;
    }
    const period = agent.spec?.timing.keepaliveIntervalMs ?? 1000;
    await env.clock.sleep(Math.max(0, period - (env.clock.now() - began)));
  }
  if (armed) await env.watchdog.disarm();
}
