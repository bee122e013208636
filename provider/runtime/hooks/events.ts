// Hook events: what an operator's hook (an executable or a webhook) is told, and their pure
// derivation from what the runtime already computed. No IO, no clock: the caller passes the wall
// time to stamp. Cluster-level events (fence, failover, headroom) come from the diff between the
// manager state a primary committed and the one it replaced, so exactly one agent (the one whose
// CAS commit succeeded) ever derives each of them; the host-level isolation event comes from the
// core's isolation log line on the isolating host itself; the drill event from `vmha drill`.
import { toleratedFailures } from "../core/admission";
import type { HostRecord, ManagerState } from "../core/model";
import type { ClusterSpec } from "../core/spec";
import { requiredHostFailures } from "../metrics/metrics";

export const HOOK_EVENT_KINDS = [
  "fence-started",
  "fence-succeeded",
  "fence-failed",
  "failover",
  "isolation",
  "headroom-lost",
  "drill",
] as const;
export type HookEventKind = (typeof HOOK_EVENT_KINDS)[number];

interface Base {
  /** Format version of the event JSON. */
  version: 1;
  /** Stable id: the same state change always gets the same id (receivers dedupe on it). */
  id: string;
  cluster: string;
  /** The agent (or the machine running `vmha drill`) that sent it. */
  sentBy: string;
  /** Wall-clock time the sender derived it, ISO 8601. */
  at: string;
}

/** Cluster-level events carry the manager revision of the commit that made the change. */
interface Committed extends Base {
  revision: number;
}

export type HookEvent =
  | (Committed & {
      kind: "fence-started";
      host: string;
      /** The fence agent program (never its options: they may hold secrets), or none. */
      device: string | null;
      reason: string;
    })
  | (Committed & {
      kind: "fence-succeeded";
      host: string;
      /** Proof: the device confirmed off, or the self-fence deadline passed (watchdog). */
      how: "device" | "self-fence-deadline";
      reason: string;
    })
  | (Committed & { kind: "fence-failed"; host: string; attempt: number; error: string })
  | (Committed & { kind: "failover"; resource: string; from: string; to: string })
  | (Committed & { kind: "headroom-lost"; policy: string; tolerated: number; required: number })
  | (Base & { kind: "isolation"; host: string; reason: string })
  | (Base & {
      kind: "drill";
      host: string;
      passed: boolean;
      limitSeconds: number;
      recoverySeconds?: number;
      error?: string;
    });

/** Memory carried from one commit to the next (failovers span several commits). */
export interface DeriveState {
  /** Resources recovering from a failed host: resource -> that host. */
  failingOver: Record<string, string>;
}

export function emptyDeriveState(): DeriveState {
  return { failingOver: {} };
}

export interface CommitInput {
  cluster: string;
  sentBy: string;
  at: string;
  spec: ClusterSpec;
  /** The manager state the commit replaced (undefined: the key was empty). */
  prev: ManagerState | undefined;
  next: ManagerState;
  /** Mod revision the commit produced. */
  revision: number;
}

/** Events of one successful manager commit, in the order an operator wants them. */
export function deriveCommitEvents(
  state: DeriveState,
  c: CommitInput,
): { state: DeriveState; events: HookEvent[] } {
  const events: HookEvent[] = [];
  const base = { version: 1 as const, cluster: c.cluster, sentBy: c.sentBy, at: c.at, revision: c.revision };
  const id = (kind: HookEventKind, subject: string) => `${c.cluster}:${kind}:${subject}:${c.revision}`;
  for (const [h, rec] of Object.entries(c.next.hosts)) {
    const before = c.prev?.hosts[h];
    for (const e of hostEvents(before, rec, c.spec, h)) events.push({ ...base, ...e, id: id(e.kind, h) });
  }
  const failingOver = seedFailovers(state.failingOver, c.prev);
  for (const [r, rec] of Object.entries(c.next.resources)) {
    const before = c.prev?.resources[r];
    const was = before?.node;
    if (rec.state === "recovering" && before?.state !== "recovering" && rec.node) {
      // entered recovery in this commit: a failover only if its host failed (not a resource fault)
      if (!isUp(c.next.hosts[rec.node])) failingOver[r] = rec.node;
    } else if (
      // recovered in the very commit its host failed in (the device's status proved the host off
      // while it was suspect): it never shows as recovering
      was !== undefined &&
      rec.node !== undefined &&
      rec.node !== was &&
      before !== undefined &&
      ["starting", "started", "migrating", "relocating", "stopping"].includes(before.state) &&
      (c.next.hosts[was]?.state === "fencing" || c.next.hosts[was]?.state === "fenced")
    ) {
      failingOver[r] = was;
    } else if (rec.state === "started" && before?.state !== "started" && failingOver[r] !== undefined) {
      const from = failingOver[r]!;
      delete failingOver[r];
      if (rec.node && rec.node !== from)
        events.push({ ...base, kind: "failover", id: id("failover", r), resource: r, from, to: rec.node });
    } else if (rec.state === "error" || rec.state === "stopped" || rec.state === "disabled") {
      delete failingOver[r];
    }
  }
  for (const r of Object.keys(failingOver)) if (!c.next.resources[r]) delete failingOver[r];
  const lost = headroomLost(c.spec, c.prev, c.next);
  if (lost) events.push({ ...base, kind: "headroom-lost", id: id("headroom-lost", lost.policy), ...lost });
  return { state: { failingOver }, events };
}

type HostEvent =
  | { kind: "fence-started"; host: string; device: string | null; reason: string }
  | { kind: "fence-succeeded"; host: string; how: "device" | "self-fence-deadline"; reason: string }
  | { kind: "fence-failed"; host: string; attempt: number; error: string };

function hostEvents(
  before: HostRecord | undefined,
  rec: HostRecord,
  spec: ClusterSpec,
  h: string,
): HostEvent[] {
  const out: HostEvent[] = [];
  const changed = before?.state !== rec.state;
  // fenced in the commit that began it (the device's status said off): started, then succeeded
  if (changed && (rec.state === "fencing" || (rec.state === "fenced" && before?.state !== "fencing")))
    out.push({
      kind: "fence-started",
      host: h,
      device: spec.hosts[h]?.fence?.agent ?? null,
      reason: rec.reason ?? "",
    });
  // A failed attempt shows as a new (or different) lastError in the committed fence progress. An
  // identical error on the next attempt changes nothing the primary commits, so it is not sent
  // again: one event per distinct failure, carrying the attempt count.
  const err = rec.fence?.lastError;
  if (err !== undefined && rec.state === "fencing" && err !== before?.fence?.lastError)
    out.push({ kind: "fence-failed", host: h, attempt: rec.fence?.attempts ?? 0, error: err });
  if (changed && rec.state === "fenced")
    out.push({
      kind: "fence-succeeded",
      host: h,
      how: rec.fence?.confirmedAt !== undefined ? "device" : "self-fence-deadline",
      reason: rec.reason ?? "",
    });
  return out;
}

function isUp(h: HostRecord | undefined): boolean {
  return h?.state === "online" || h?.state === "maintenance";
}

/**
 * A primary that took over mid-failover has no memory of it: what the replaced state shows as
 * recovering from a failed host is adopted (a resource already `starting` elsewhere when the
 * primary changed is not: its failover event is lost, see README "Hooks").
 */
function seedFailovers(
  known: Record<string, string>,
  prev: ManagerState | undefined,
): Record<string, string> {
  const out = { ...known };
  for (const [r, rec] of Object.entries(prev?.resources ?? {})) {
    if (out[r] !== undefined || rec.state !== "recovering" || !rec.node) continue;
    if (!isUp(prev?.hosts[rec.node])) out[r] = rec.node;
  }
  return out;
}

/** Failover headroom of a committed state: online hosts, admitted reservations (as the metric). */
export function committedHeadroom(
  spec: ClusterSpec,
  m: ManagerState,
): { tolerated: number; required: number } {
  const hosts = Object.keys(spec.hosts).filter((h) => m.hosts[h]?.state === "online");
  const reserved = { cpu: 0, mem: 0 };
  for (const [r, rs] of Object.entries(spec.resources)) {
    if (!m.resources[r]?.admitted) continue;
    reserved.cpu += rs.reservation.cpu;
    reserved.mem += rs.reservation.memoryMiB;
  }
  return {
    tolerated: toleratedFailures(spec, hosts, reserved),
    required: requiredHostFailures(spec.admissionControl),
  };
}

function headroomLost(
  spec: ClusterSpec,
  prev: ManagerState | undefined,
  next: ManagerState,
): { policy: string; tolerated: number; required: number } | undefined {
  if (!prev) return undefined; // a new manager state has no "before" to lose headroom from
  const a = committedHeadroom(spec, prev);
  const b = committedHeadroom(spec, next);
  if (b.required === 0 || b.tolerated >= b.required || a.tolerated < a.required) return undefined;
  return { policy: spec.admissionControl.policy, tolerated: b.tolerated, required: b.required };
}

const ISOLATION = /isolation response/;

/**
 * The isolation event from one of the core's log records on this host, or undefined. The core
 * logs the isolation line once per episode (core/local.ts); `episode` (the lease id and
 * generation the host lost) makes the id stable within the episode.
 */
export function isolationEvent(
  r: { subject: string; message: string },
  ctx: { cluster: string; host: string; at: string; episode: string },
): HookEvent | undefined {
  if (r.subject !== "isolation" || !ISOLATION.test(r.message)) return undefined;
  return {
    version: 1,
    kind: "isolation",
    id: `${ctx.cluster}:isolation:${ctx.host}:${ctx.episode}`,
    cluster: ctx.cluster,
    sentBy: ctx.host,
    at: ctx.at,
    host: ctx.host,
    reason: r.message,
  };
}

export interface DrillEventInput {
  cluster: string;
  sentBy: string;
  host: string;
  startedAt: Date;
  at: string;
  passed: boolean;
  limitSeconds: number;
  recoverySeconds?: number;
  error?: string;
}

export function drillEvent(d: DrillEventInput): HookEvent {
  return {
    version: 1,
    kind: "drill",
    id: `${d.cluster}:drill:${d.host}:${d.startedAt.toISOString()}`,
    cluster: d.cluster,
    sentBy: d.sentBy,
    at: d.at,
    host: d.host,
    passed: d.passed,
    limitSeconds: d.limitSeconds,
    ...(d.recoverySeconds !== undefined ? { recoverySeconds: d.recoverySeconds } : {}),
    ...(d.error !== undefined ? { error: d.error } : {}),
  };
}

/** The VMHA_EVENT_* variables an executable hook gets (the JSON on stdin has everything). */
export function eventEnv(e: HookEvent): Record<string, string> {
  const env: Record<string, string> = {
    VMHA_EVENT_ID: e.id,
    VMHA_EVENT_KIND: e.kind,
    VMHA_EVENT_CLUSTER: e.cluster,
    VMHA_EVENT_SENT_BY: e.sentBy,
    VMHA_EVENT_AT: e.at,
  };
  if ("revision" in e) env["VMHA_EVENT_REVISION"] = String(e.revision);
  if ("host" in e) env["VMHA_EVENT_HOST"] = e.host;
  if ("resource" in e) {
    env["VMHA_EVENT_RESOURCE"] = e.resource;
    env["VMHA_EVENT_FROM"] = e.from;
    env["VMHA_EVENT_TO"] = e.to;
  }
  if ("passed" in e) env["VMHA_EVENT_PASSED"] = e.passed ? "1" : "0";
  return env;
}
