// The shared driver loop: takes an Env, builds the snapshot, calls the pure decide(), carries
// out its actions and feeds their results back as events. The real agent and the simulator run
// exactly this code; only the Env differs. No IO of its own: everything goes through the Env,
// so this file is as deterministic as the Env it is given.
//
// One iteration:
//   1. read (one consistent StoreView, validated: core/validate.ts) and campaign -> isPrimary;
//      a StoreUnavailable makes the iteration "store unreachable" (not primary, last view kept)
//      so a primary that loses the store steps down and decides nothing. The lease is NOT
//      renewed here: the heartbeat (Env.lease) does that on its own timer, and the snapshot
//      carries its status, taken after the read;
//   2. list what the local hypervisor runs (a failed list is "unknown", never "nothing");
//   3. decide(tick | store-unreachable), then decide() once per result event of the actions;
//      commit (CAS) runs first and a failed commit drops the rest of that decision;
//   4. report, pet the watchdog if the core allowed it (checked again against the lease at the
//      moment of the pet); return the sentence and when to look again.

import type { Env, LeaseStatus } from "../env";
import { decide } from "./decide";
import { mayCampaign } from "./election";
import { errorMessage, NotPrimaryError, RetryableError, StoreUnavailableError } from "./errors";
import {
  type Action,
  type CoreEvent,
  emptyLocal,
  type HostReport,
  type LeaseView,
  type LocalState,
  type Snapshot,
  type StoreView,
} from "./model";
import { buildReport } from "./report";
import { type ClusterSpec, type FenceDevice, type ResourceSpec, tryParseSpec } from "./spec";
import { checkViewOnce } from "./view-memo";

/** Per-agent memory carried across iterations. */
export interface AgentRuntime {
  local: LocalState;
  spec?: ClusterSpec;
  specRevision: number;
  view?: StoreView;
  /** The manager key held an invalid value at the last read. */
  managerInvalid: boolean;
  /** Long operations still running, by key ("fence:h2", "start:web"). */
  inFlight: Map<string, Promise<CoreEvent>>;
  /** Results that arrived after the iteration that started them. */
  completed: CoreEvent[];
  lastSentence?: string;
  /** The last list failure said, until a list succeeds again. */
  listError?: string;
  /** The spec saved on the host's disk was looked at (once per process). */
  diskChecked: boolean;
  /** Rejected store values already logged (key -> reason), so each is said once. */
  rejected: Map<string, string>;
  /**
   * The watchdog device is open. Opening it pets it (softdog restarts its timer), so it is
   * opened at the first pet the core allows, never earlier: an agent restarted after its lease
   * expired must not extend the previous agent's last pet.
   */
  armed?: boolean;
  /** ms from the end of the last iteration to the core's next deadline. */
  wakeInMs?: number;
  /**
   * The decision function: decide() itself, always, in production. The simulator's checker
   * tests put a deliberately broken one here to prove that every invariant can fire.
   */
  decide?: typeof decide;
}

export function newAgentRuntime(host: string): AgentRuntime {
  return {
    local: emptyLocal(host),
    specRevision: -1,
    managerInvalid: false,
    inFlight: new Map(),
    completed: [],
    diskChecked: false,
    rejected: new Map(),
  };
}

const EMPTY_VIEW: StoreView = {
  revision: 0,
  spec: undefined,
  specRevision: 0,
  manager: undefined,
  managerRevision: 0,
  leases: [],
  primary: undefined,
  reports: {},
  maintenance: [],
  migrateRequests: [],
};

/** The heartbeat's status as the core sees it, at `now`. */
export function leaseView(s: LeaseStatus, now: number): LeaseView {
  const sinceAckMs =
    s.lastAckSentAt === Number.NEGATIVE_INFINITY ? Number.POSITIVE_INFINITY : now - s.lastAckSentAt;
  const lost = s.id === "" || s.lostAt !== undefined;
  return {
    state: lost ? "lost" : sinceAckMs < s.ttlMs ? "held" : "unknown",
    sinceAckMs,
    ttlMs: s.ttlMs,
    generation: s.generation,
    id: s.id,
    ...(s.rejoinOf ? { previousAckMs: now - s.rejoinOf.lastAckSentAt } : {}),
    ...(s.askedTtlMs !== undefined ? { askedTtlMs: s.askedTtlMs } : {}),
  };
}

const MAX_DECISIONS = 200;
/** The lease TTL before any spec is known (the spec's default). */
const DEFAULT_TTL_MS = 1000;

/** Runs one iteration and returns its sentence. Throws only on programming errors outside decide(). */
export async function runIteration(env: Env, agent: AgentRuntime): Promise<string> {
  if (!agent.diskChecked) restoreSpec(env, agent);
  const read = await readStore(env, agent);
  // Taken after the read: a deadline counted from an observation starts when it was made.
  const now = env.clock.now();
  if (!agent.spec) {
    // Nothing of this cluster can run here without a spec ever seen: join, so the host shows
    // as alive, with the default TTL (swapped for the spec's once it comes).
    const s = env.lease.status();
    if (read.reachable && (s.id === "" || s.lostAt !== undefined))
      await leaseAction(env, DEFAULT_TTL_MS, "join", s.generation);
    return say(env, agent, "waiting for a valid cluster spec in the store");
  }
  let running: string[];
  let listed = true;
  try {
    running = await env.driver.list(agent.spec.resources);
    agent.listError = undefined;
  } catch (err) {
    // said once per distinct failure, not four times a second
    const message = `list failed (what runs here is unknown): ${errorMessage(err)}`;
    if (message !== agent.listError)
      env.log.log({ level: "warn", host: env.host, subject: "driver", message });
    agent.listError = message;
    running = agent.local.running;
    listed = false;
  }
  const lease = leaseView(env.lease.status(), env.clock.now());
  const snap: Snapshot = {
    self: env.host,
    spec: agent.spec,
    view: agent.view ?? EMPTY_VIEW,
    storeReachable: read.reachable,
    isPrimary: read.isPrimary && lease.state === "held",
    lease,
    listed,
    running,
    unknown: env.driver.unknown?.() ?? [],
    managerInvalid: agent.managerInvalid,
    inFlight: [...agent.inFlight.keys()],
    local: agent.local,
  };
  const queue: CoreEvent[] = agent.completed.splice(0);
  queue.push(read.reachable ? { type: "tick" } : { type: "store-unreachable", error: read.error ?? "" });
  let sentence = "";
  const pets: Action[] = [];
  let wakeInMs: number | undefined;
  let decided = 0;
  for (let n = 0; n < queue.length && n < MAX_DECISIONS; n++) {
    const ev = queue[n]!;
    decided = n + 1;
    agent.inFlight.delete(eventKey(ev) ?? "");
    snap.inFlight = [...agent.inFlight.keys()];
    let d: ReturnType<typeof decide>;
    try {
      d = (agent.decide ?? decide)(snap, ev, now);
    } catch (err) {
      // A bug must not kill the agent (every host would crash-loop on the same input): log it,
      // keep the last good state, and pet nothing from this iteration.
      env.log.log({
        level: "error",
        host: env.host,
        subject: "core",
        message: `decision failed on ${ev.type}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
      });
      pets.length = 0;
      sentence = `decision failed: ${errorMessage(err)}`;
      break;
    }
    snap.local = d.next.local;
    if (
      ev.type === "tick" ||
      ev.type === "store-unreachable" ||
      ev.type === "fence-result" ||
      ev.type === "power-status" ||
      !sentence
    ) {
      sentence = d.sentence;
    }
    if (d.wakeInMs !== undefined) wakeInMs = Math.min(wakeInMs ?? d.wakeInMs, d.wakeInMs);
    // the last decision's pet verdict is the one that holds
    const pet = d.actions.filter((a) => a.type === "watchdog");
    if (ev.type === "tick" || ev.type === "store-unreachable" || pets.length > 0 || pet.length > 0) {
      pets.length = 0;
      pets.push(...pet);
    }
    queue.push(...(await execute(env, agent, snap, d.actions)));
  }
  // Results not decided on in this iteration (the cap) are decided on in the next: a dropped
  // result would leave its operation "in flight" for ever (an isolation that never ends).
  agent.completed.unshift(
    ...queue.slice(decided).filter((e) => e.type !== "tick" && e.type !== "store-unreachable"),
  );
  agent.local = snap.local;
  agent.view = snap.view;
  const held = env.lease.status();
  if (held.rejoinOf && agent.local.leaseCounted === held.id) env.lease.counted?.(held.id);
  agent.wakeInMs = wakeInMs;
  if (read.reachable && lease.state !== "lost") {
    try {
      await env.store.report(reportOf(env, agent, snap));
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
    }
  }
  await maybePet(env, agent, pets);
  return say(env, agent, sentence);
}

function reportOf(env: Env, agent: AgentRuntime, snap: Snapshot): HostReport {
  const busy = new Set(snap.unknown);
  for (const k of agent.inFlight.keys()) {
    const [op, r] = k.split(":");
    if (r && (op === "start" || op === "stop" || op === "migrate")) busy.add(r);
  }
  const wd = env.watchdog.info();
  return buildReport(agent.local, env.clock.now(), {
    managerRevision: snap.view.managerRevision,
    listed: snap.listed,
    busy: [...busy].sort(),
    ...(wd ? { watchdogMs: wd.timeoutMs } : {}),
  });
}

/**
 * Pets if the core allowed it and, for a lease-bound pet, the last ack is still young enough;
 * the first allowed pet opens (arms) the device.
 */
async function maybePet(env: Env, agent: AgentRuntime, pets: Action[]): Promise<void> {
  const pet = pets.find((a) => a.type === "watchdog");
  if (pet?.type !== "watchdog") return;
  if (pet.maxAckAgeMs !== undefined) {
    const s = env.lease.status();
    const ack = pet.previousLease ? (s.rejoinOf?.lastAckSentAt ?? Number.NEGATIVE_INFINITY) : s.lastAckSentAt;
    if (s.lostAt !== undefined || env.clock.now() - ack >= pet.maxAckAgeMs) return;
  }
  try {
    if (agent.armed) {
      await env.watchdog.pet();
      return;
    }
    await env.watchdog.arm(agent.spec?.timing.watchdogTimeoutMs ?? 2000);
    agent.armed = true;
  } catch (err) {
    // No watchdog is reported then (info() says none), so the primary never relies on one.
    env.log.log({
      level: "error",
      host: env.host,
      subject: "watchdog",
      message: `${agent.armed ? "pet" : "arm"} failed: ${errorMessage(err)}`,
    });
  }
}

/** A restarted agent that cannot reach the store still knows what it ran and how to isolate. */
function restoreSpec(env: Env, agent: AgentRuntime): void {
  agent.diskChecked = true;
  let doc: unknown;
  try {
    doc = env.disk.loadSpec();
  } catch (err) {
    env.log.log({
      level: "warn",
      host: env.host,
      subject: "spec",
      message: `saved spec unreadable: ${errorMessage(err)}`,
    });
    return;
  }
  if (doc === undefined) return;
  const r = tryParseSpec(doc);
  if (r.ok) {
    agent.spec = r.spec;
    env.log.log({
      level: "info",
      host: env.host,
      subject: "spec",
      message: "using the spec saved on this host until the store answers",
    });
  }
}

interface ReadResult {
  reachable: boolean;
  isPrimary: boolean;
  error?: string;
}

async function readStore(env: Env, agent: AgentRuntime): Promise<ReadResult> {
  try {
    const checked = checkViewOnce(await env.store.read());
    logRejected(env, agent, checked.rejected);
    const view = checked.view;
    agent.view = view;
    agent.managerInvalid = checked.managerInvalid;
    if (view.specRevision !== agent.specRevision) loadSpec(env, agent, view);
    const held = leaseView(env.lease.status(), env.clock.now()).state === "held";
    const eligible = held && !checked.managerInvalid && mayCampaign(view, env.host);
    const isPrimary = agent.spec ? await env.store.campaign(eligible) : false;
    return { reachable: true, isPrimary };
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    return { reachable: false, isPrimary: false, error: err.message };
  }
}

function logRejected(
  env: Env,
  agent: AgentRuntime,
  rejected: ReadonlyArray<{ key: string; reason: string }>,
): void {
  const now = new Map(rejected.map((r) => [r.key, r.reason]));
  for (const [key, reason] of now) {
    if (agent.rejected.get(key) === reason) continue;
    env.log.log({ level: "error", host: env.host, subject: "store", message: `ignoring ${key}: ${reason}` });
  }
  agent.rejected = now;
}

function loadSpec(env: Env, agent: AgentRuntime, view: StoreView): void {
  agent.specRevision = view.specRevision;
  const r = tryParseSpec(view.spec);
  if (r.ok) {
    agent.spec = r.spec;
    try {
      env.disk.saveSpec(view.spec);
    } catch (err) {
      env.log.log({
        level: "warn",
        host: env.host,
        subject: "spec",
        message: `cannot save the spec: ${errorMessage(err)}`,
      });
    }
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
      if (!(await commit(env, snap, a.revision, a.state, a.absentLeases)))
        return [{ type: "commit-failed", error: "lost" }];
    } else if (a.type === "watchdog") {
      // petted once at the end of the iteration
    } else if (a.type === "join" || a.type === "presence") {
      await leaseAction(
        env,
        snap.spec.timing.leaseTtlMs,
        a.type,
        a.type === "join" ? a.ifGeneration : undefined,
      );
    } else {
      for (const [key, op] of operations(env, snap, a)) started.push(runLong(env, agent, key, op));
    }
  }
  const results = await Promise.all(started);
  return results.filter((e): e is CoreEvent => e !== undefined);
}

async function leaseAction(
  env: Env,
  ttlMs: number,
  what: "join" | "presence",
  ifGeneration?: number,
): Promise<void> {
  try {
    // the heartbeat may have taken a new lease by itself since the snapshot (ifGeneration)
    const before = env.lease.status().generation;
    if (what === "join") {
      await env.lease.join(ttlMs, ifGeneration);
      if (env.lease.status().generation === before) return;
    } else await env.lease.putPresence();
    env.log.log({
      level: "info",
      host: env.host,
      subject: "lease",
      message: what === "join" ? "joined with a new lease" : "presence key put again (it was missing)",
    });
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    env.log.log({
      level: "warn",
      host: env.host,
      subject: "lease",
      message: `${what} failed: ${err.message}`,
    });
  }
}

async function commit(
  env: Env,
  snap: Snapshot,
  revision: number,
  state: Snapshot["view"]["manager"],
  absentLeases: string[],
): Promise<boolean> {
  if (!state) return true;
  try {
    const rev = await env.store.commitManager(
      revision,
      state,
      absentLeases.length ? { absentLeases } : undefined,
    );
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
    case "power-status":
      return env.fencer.status
        ? [[`status:${a.host}`, statusOp(env, a.host, a.device, snap.spec.timing.fenceTimeoutMs)]]
        : [];
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

function statusOp(env: Env, host: string, device: FenceDevice, timeoutMs: number): Op {
  return () =>
    env.fencer.status!(host, device, timeoutMs).then(
      (s): CoreEvent => ({ type: "power-status", host, off: s === "off" }),
      (err): CoreEvent => ({ type: "power-status", host, off: false, error: errorMessage(err) }),
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
    case "power-status":
      return `status:${ev.host}`;
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

/**
 * Runs iterations every keepaliveIntervalMs (sooner when the core has a deadline) until
 * `signal` aborts. The watchdog is armed at the first pet the core allows; it is disarmed
 * (magic close) only when the host leaves the cluster: a restarting agent leaves it armed, so
 * the next one must take over in time.
 */
export async function runAgent(
  env: Env,
  opts: { signal?: AbortSignal; onSentence?: (s: string) => void; leaving?: () => boolean } = {},
) {
  const agent = newAgentRuntime(env.host);
  while (!opts.signal?.aborted) {
    const began = env.clock.now();
    const sentence = await runIteration(env, agent);
    opts.onSentence?.(sentence);
    const period = agent.spec?.timing.keepaliveIntervalMs ?? 250;
    const elapsed = env.clock.now() - began;
    const wait = Math.min(period - elapsed, agent.wakeInMs ?? Number.POSITIVE_INFINITY);
    await env.clock.sleep(Math.max(0, Math.ceil(wait)));
  }
  if (opts.leaving?.()) await env.watchdog.disarm();
}
