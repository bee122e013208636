// Safety invariants, judged on GROUND TRUTH (what the simulated hypervisors run, what the
// simulated watchdogs saw, what the store holds), never on what the core believes. Checked
// after every event of the engine, and at the moments named below. Each violation line is
// `<time> INVARIANT VIOLATED [<rule>]: ...`. "Expiry" of a lease the store revoked while it lived
// (`store revoke`) is when it would have expired: its last renewal + TTL. Rules:
//   double-run          one resource active on two hosts
//   start-not-online    a start (or a migration's arrival) asked on a host without a live lease
//                       (one the store revoked counts until it would have expired) or whose
//                       committed state is not online/maintenance
//   early-recovery      a resource of a failed host appears elsewhere before that host was fenced
//                       by its device or before the store's lease expiry + D - S (a host back
//                       with a live lease frees by its own report: judged by stale-proof)
//   admission           admitted resources exceed the policy's capacity (recomputed here)
//   two-primaries       two live agents acted as primary in iterations of the same moment (one
//                       that resigned, or whose lease the store revoked, since its last
//                       iteration began does not count: its term is over, its commits fail)
//   fencing-deadline    (a) a host whose lease expired (as the store saw it) or that the committed
//                       state puts in fencing/fenced, and whose record lets the primary
//                       free it by deadline (a watchdog <= W), still runs a stop/kill resource
//                       past expiry + D
//   pet-while-isolated  (b) a watchdog pet (arming counts) while the host runs a stop/kill
//                       resource and its lease expired in the store (a lease the store revoked:
//                       once its last renewal is a TTL old), or its agent has read that
//                       it is suspect/fencing/fenced, or its agent is isolated
//   stale-proof         (c) a commit frees a resource from a host that was not fenced, with no
//                       report from that host made after the resource's last change (listed,
//                       managerRevision > rev, not running it, not busy with it)
//   false-isolation     (d) an isolation response, or a fence attempt, against a host that had
//                       no fault of its own, when no store outage or election in the window was
//                       as long as the TTL; a lease the store revoked while the host renewed it
//                       counts as no fault when the store answered fast enough for the host to
//                       come back within rejoinGraceMs (no outage, latency x 6 + K <= G)
//   agent-crash         (e) runIteration rejected, or the core logged "decision failed"
// and the liveness check `settled()` after healing (each protected resource runs exactly once).
import type { ManagerState, StoreView } from "../core/model";
import type { LogRecord } from "../env";
import { policyCapacity } from "./capacity";
import type { SimHost, SimWorld } from "./world";
import { fmtTime } from "./world";

export const RULES = [
  "double-run",
  "start-not-online",
  "early-recovery",
  "admission",
  "two-primaries",
  "fencing-deadline",
  "pet-while-isolated",
  "stale-proof",
  "false-isolation",
  "agent-crash",
] as const;
export type Rule = (typeof RULES)[number];

interface Failure {
  /**
   * When the store saw its presence go (or the commit that suspected it); for a lease the store
   * revoked, when it would have expired (the deadlines count from it).
   */
  at: number;
  /** When this checker first saw the failure: a device proof must come after it. */
  seen: number;
  /** Added to `at` for the deadlines: a deleted key's lease may live one more TTL. */
  grace: number;
  running: Set<string>;
}

const FAILING = new Set(["suspect", "fencing", "fenced"]);
/** States in which the primary may free the host's resources (suspect only holds them). */
const FENCING = new Set(["fencing", "fenced"]);

export class Invariants {
  readonly violations: string[] = [];
  readonly byRule = new Map<Rule, number>();
  private readonly seen = new Set<string>();
  private readonly failed = new Map<string, Failure>();
  private readonly fencedAt = new Map<string, number>();
  private readonly faultUntil = new Map<string, number>();
  private readonly outages: Array<{ start: number; end?: number }> = [];
  /** Revocations by the store: when, and the store's latency then. */
  private readonly revocations = new Map<string, { at: number; latencyMs: number }>();
  /** The last state each primary committed (its own decisions act on it before it reads again). */
  private readonly ownCommit = new Map<string, { rev: number; state: ManagerState }>();

  constructor(private readonly w: SimWorld) {}

  private fail(rule: Rule, msg: string): void {
    if (this.seen.has(`${rule}|${msg}`)) return;
    this.seen.add(`${rule}|${msg}`);
    this.byRule.set(rule, (this.byRule.get(rule) ?? 0) + 1);
    const line = `${fmtTime(this.w.now)} INVARIANT VIOLATED [${rule}]: ${msg}`;
    this.violations.push(line);
    this.w.lines.push(line);
  }

  private manager(): Partial<ManagerState> | undefined {
    const m = this.w.store.manager;
    return m && typeof m === "object" ? (m as Partial<ManagerState>) : undefined;
  }

  private hostState(h: string): string | undefined {
    const hosts = this.manager()?.hosts;
    return hosts && typeof hosts === "object" ? hosts[h]?.state : undefined;
  }

  private mustStop(r: string): boolean {
    return (this.w.spec.resources[r]?.isolationResponse ?? "stop") !== "none";
  }

  // ---- inputs from the world ----

  fenced(host: string): void {
    this.fencedAt.set(host, this.w.now);
  }

  /** A fault of the host itself (partition, stall, restart, power) lasts until `until`. */
  hostFault(host: string, until: number): void {
    this.faultUntil.set(host, Math.max(this.faultUntil.get(host) ?? 0, until, this.w.now));
  }

  /** A store-wide outage (down, election, high latency) begins or ends. */
  outage(on: boolean): void {
    const last = this.outages[this.outages.length - 1];
    if (on && (!last || last.end !== undefined)) this.outages.push({ start: this.w.now });
    if (!on && last && last.end === undefined) last.end = this.w.now;
  }

  /** The store revoked h's live lease (`store revoke`). */
  revoked(host: string): void {
    this.revocations.set(host, { at: this.w.now, latencyMs: this.w.store.latencyMs });
  }

  crash(h: SimHost, err: unknown): void {
    this.hostFault(h.name, this.w.now + this.w.restartDelayMs);
    this.fail(
      "agent-crash",
      `the agent on ${h.name} crashed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  onLog(r: LogRecord): void {
    if (r.subject === "core" && r.message.startsWith("decision failed")) {
      this.fail("agent-crash", `${r.host}: ${r.message.split("\n")[0]}`);
    } else if (r.subject === "isolation") {
      this.falseAlarm(r.host, "isolated itself");
    } else if (
      r.subject.startsWith("host ") &&
      r.message.startsWith("fence attempt") &&
      r.message.includes(" through ")
    ) {
      this.falseAlarm(r.subject.slice(5), `was fenced by ${r.host}`);
    }
  }

  /** (d): a host with no fault of its own loses its VMs only for an outage as long as the TTL. */
  private falseAlarm(host: string, what: string): void {
    const t = this.w.timing;
    const from = this.w.now - (t.leaseTtlMs + t.selfFenceDeadlineMs + 2 * t.keepaliveIntervalMs);
    if ((this.faultUntil.get(host) ?? Number.NEGATIVE_INFINITY) >= from) return;
    if (this.w.store.presenceDeletedAt.has(host)) return;
    let longest = 0;
    let cur: { start: number; end: number } | undefined;
    for (const o of this.outages) {
      const end = o.end ?? this.w.now;
      if (end < from) continue;
      if (cur && o.start <= cur.end + t.keepaliveIntervalMs) cur.end = Math.max(cur.end, end);
      else cur = { start: o.start, end };
      longest = Math.max(longest, cur.end - cur.start);
    }
    const rev = this.revocations.get(host);
    if (rev && rev.at >= from) {
      // The host learns of it at its next renewal (K) and needs a grant and a put, 3 round trips
      const slow =
        Math.max(rev.latencyMs, this.w.store.latencyMs) * 6 + t.keepaliveIntervalMs > t.rejoinGraceMs;
      if (longest > 0 || slow || t.rejoinGraceMs === 0) return;
      this.fail(
        "false-isolation",
        `${host} ${what}, though only the store revoked its lease (at ${fmtTime(rev.at)}, latency ${rev.latencyMs} ms): it could have come back within rejoinGraceMs`,
      );
      return;
    }
    if (longest < t.leaseTtlMs) {
      this.fail(
        "false-isolation",
        `${host} ${what}, though it had no fault and the longest store outage was ${longest} ms`,
      );
    }
  }

  /**
   * Invariant 2, when the hypervisor is asked to start r on host (or to migrate it there) by
   * `caller`'s agent: the host's lease lives in the store, and the committed state the caller
   * decided on says the host is online/maintenance (a commit the caller could not have read yet
   * is judged by the freeing rules, not here).
   */
  onStartCall(r: string, host: string, caller: SimHost, migration = false): void {
    const h = this.w.hosts.get(host);
    const id = h?.agent?.heartbeat.status().id;
    // A migration is pushed by its source, which cannot know the target's lease at this instant
    // (it may expire in the same millisecond): only the committed state is judged then. A VM
    // that lands on a host that is failing is that host's to kill, and stays under the proof
    // rules (early-recovery, stale-proof).
    // A lease the store revoked early counts until it would have expired: the host cannot know
    // (it learns at its next renewal), and its deadlines still run from its last ack.
    const alive = migration || (id ? !this.w.store.leaseExpired(Number(id)) : this.w.store.hostAlive(host));
    const view = caller.agent?.runtime.view;
    const own = this.ownCommit.get(caller.name);
    const m = own && own.rev > (view?.managerRevision ?? 0) ? own.state : view?.manager;
    const st = m?.hosts[host]?.state;
    if (!alive || (st !== "online" && st !== "maintenance")) {
      this.fail(
        "start-not-online",
        `${r} started on ${host}, which is ${st ?? "unknown"} (lease ${alive ? "alive" : "expired"})`,
      );
    }
  }

  /** Invariant 3, when r's domain appears on host. */
  onAppear(r: string, host: string, migratedFrom?: string): void {
    this.observe();
    const t = this.w.timing;
    for (const [y, e] of this.failed) {
      // a live migration started before the failure moves r: it left y in the same instant
      if (y === host || y === migratedFrom || !e.running.has(r)) continue;
      // a host that is back with a live lease may prove by its own fresh report that it stopped
      // r (the primary's rejoin): that proof is judged by stale-proof (c), not by this rule
      if (this.w.store.hostAlive(y)) continue;
      // device proof after the failure began (a revoked lease's `at` lies in the future)
      const proven = (this.fencedAt.get(y) ?? -1) >= Math.min(e.at, e.seen);
      const deadline = e.at + e.grace + t.selfFenceDeadlineMs - t.maxClockSkewMs;
      if (!proven && this.w.now < deadline) {
        this.fail(
          "early-recovery",
          `${r} recovered on ${host} at ${fmtTime(this.w.now)}, before ${y} was fenced or its deadline ${fmtTime(deadline)}`,
        );
      }
    }
  }

  /** (b) */
  onPet(h: SimHost, arm: boolean): void {
    const open = [...h.hv.running].filter((r) => this.mustStop(r));
    if (open.length === 0) return;
    const a = h.agent;
    const seen = a?.runtime.view?.manager?.hosts[h.name]?.state;
    // the agent's own lease; a fresh agent (none yet) is judged by the one its host was known by
    const id = a?.heartbeat.status().id;
    const lease = id ? Number(id) : this.w.store.presence.get(h.name);
    const why = this.w.store.leaseExpired(lease)
      ? "its lease expired in the store"
      : seen && FAILING.has(seen)
        ? `its agent read that it is ${seen}`
        : a?.runtime.local.isolated
          ? "its agent is isolated"
          : undefined;
    if (why)
      this.fail(
        "pet-while-isolated",
        `${h.name} ${arm ? "armed" : "petted"} its watchdog while running ${open.join(", ")}: ${why}`,
      );
  }

  /** After every engine event. */
  check(): void {
    this.observe();
    const w = this.w;
    for (const r of Object.keys(w.spec.resources)) {
      const on = w.runners(r);
      if (on.length > 1) this.fail("double-run", `${r} runs on ${on.join(" and ")}`);
    }
    this.deadlines();
    const k = w.timing.keepaliveIntervalMs;
    const deciders = [...w.hosts.values()].filter((h) => {
      const a = h.agent;
      if (!a || h.stalledUntil !== undefined || !w.reachable(h) || !a.runtime.local.primary) return false;
      const end = a.lastIterationEnd ?? -1e9;
      // One that resigned, or whose lease the store revoked (the election key with it), since
      // its last iteration began decided on a term that is over: every commit of it after that
      // fails (the term compare), and its next read sees no election. etcd can revoke a lease
      // at any moment, so iterations of the old and the new primary may overlap in time.
      const lost = w.store.electionLostAt.get(h.name);
      return end >= w.now - k && !(lost !== undefined && lost >= (a.lastIterationStart ?? end));
    });
    if (deciders.length > 1)
      this.fail("two-primaries", `${deciders.map((h) => h.name).join(" and ")} both act as primary`);
  }

  /** Keeps `failed` in step with the store and the committed state. */
  private observe(): void {
    const w = this.w;
    for (const h of w.hosts.values()) {
      const alive = w.store.hostAlive(h.name);
      const st = this.hostState(h.name);
      const f = this.failed.get(h.name);
      // a deleted presence key (the lease lives) counts from the commit that suspected it
      const expired = !alive && !w.store.presenceDeletedAt.has(h.name);
      if (!f && (expired || (st && FENCING.has(st)))) {
        // a deleted key with a live lease is no expiry: the primary's deadline starts when it
        // suspected the host (an operator's delete may even land during an election)
        const deleted = w.store.presenceDeletedAt.has(h.name);
        // a deleted key's lease may live one more TTL (the primary adds it to its deadline)
        const at = deleted || alive ? w.now : w.store.presenceGoneAt(h.name);
        const grace = deleted ? w.timing.leaseTtlMs : 0;
        this.failed.set(h.name, { at, seen: w.now, grace, running: this.onHost(h) });
      } else if (f && alive && (st === "online" || st === "maintenance")) {
        this.failed.delete(h.name);
      } else if (f && h.power) {
        for (const r of h.hv.running) f.running.add(r);
      }
    }
  }

  /** What runs on h, and what the committed state assigns to it (a dead host's may not run). */
  private onHost(h: SimHost): Set<string> {
    const out = new Set(h.power ? h.hv.running : []);
    const res = this.manager()?.resources;
    if (res && typeof res === "object") {
      for (const [r, rec] of Object.entries(res))
        if (rec && (rec.node === h.name || rec.target === h.name)) out.add(r);
    }
    return out;
  }

  /** (a) */
  private deadlines(): void {
    const w = this.w;
    const t = w.timing;
    for (const [y, f] of this.failed) {
      const h = w.hosts.get(y);
      if (!h?.power || w.now <= f.at + f.grace + t.selfFenceDeadlineMs) continue;
      const wd = this.manager()?.hosts?.[y]?.watchdogMs;
      if (wd === undefined || wd > t.watchdogTimeoutMs) continue;
      const open = [...h.hv.running].filter((r) => this.mustStop(r));
      if (open.length) {
        this.fail(
          "fencing-deadline",
          `${y} still runs ${open.join(", ")} past its deadline ${fmtTime(f.at + f.grace + t.selfFenceDeadlineMs)} (lease gone at ${fmtTime(f.at)})`,
        );
      }
    }
  }

  afterIteration(_h: SimHost): void {}

  afterCommit(by: string, before: unknown, after: ManagerState, view: StoreView | undefined): void {
    this.observe();
    this.ownCommit.set(by, { rev: this.w.store.managerRevision, state: after });
    const prev = before && typeof before === "object" ? (before as Partial<ManagerState>) : undefined;
    this.admission(prev, after);
    if (prev?.resources && prev.hosts) this.proofs(by, prev as ManagerState, after, view);
    for (const [h, rec] of Object.entries(after.hosts)) {
      if (FENCING.has(rec.state) && !this.failed.has(h)) {
        const x = this.w.hosts.get(h);
        const grace = this.w.store.presenceDeletedAt.has(h) ? this.w.timing.leaseTtlMs : 0;
        if (x) this.failed.set(h, { at: this.w.now, seen: this.w.now, grace, running: this.onHost(x) });
      }
    }
  }

  /** (c) */
  private proofs(by: string, before: ManagerState, after: ManagerState, view: StoreView | undefined): void {
    for (const [r, b] of Object.entries(before.resources)) {
      const a = after.resources[r];
      // disabled: HA lets go of it where it is (nobody starts it elsewhere)
      if (!a || b.state === "stopped" || b.state === "disabled" || a.state === "disabled") continue;
      for (const x of new Set([b.node, b.target])) {
        // leaving `recovering` settles where it runs: that needs proof even when it stays on x
        const settles = b.state === "recovering" && a.state !== "recovering";
        if (!x || ((a.node === x || a.target === x) && !settles)) continue;
        if (this.proven(x, r, before, after)) continue;
        const rep = view?.reports[x];
        const fresh = rep?.listed && rep.managerRevision > (b.rev ?? -1);
        if (fresh && !rep.running.includes(r) && !rep.busy.includes(r)) continue;
        // kept where a fresh report shows it running (an isolation-none resource on a host back)
        if (fresh && a.node === x && rep.running.includes(r)) continue;
        if (b.state === "migrating" && a.node && a.node === b.target) {
          const arr = view?.reports[a.node];
          if (arr?.listed && arr.running.includes(r) && arr.managerRevision > (b.rev ?? -1)) continue;
        }
        const why = !rep
          ? "no report from it"
          : !rep.listed
            ? "its report has no successful list"
            : rep.managerRevision <= (b.rev ?? -1)
              ? `its report read revision ${rep.managerRevision}, not after the change at ${b.rev}`
              : `its report shows it ${rep.running.includes(r) ? "running" : "busy with"} ${r}`;
        this.fail("stale-proof", `${by} freed ${r} (${b.state}) from ${x}: ${why}`);
      }
    }
  }

  /** Freed without a report: device proof, or the self-fence deadline (whose timing rule 3 and (a) judge). */
  private proven(x: string, r: string, before: ManagerState, after: ManagerState): boolean {
    const h = after.hosts[x];
    if (h?.state === "fenced" || before.hosts[x]?.state === "fenced") return true;
    if (h?.state !== "fencing") return false;
    if (h.fence?.confirmedAt !== undefined) return true;
    return h.watchdogMs !== undefined && h.watchdogMs <= this.w.timing.watchdogTimeoutMs && this.mustStop(r);
  }

  private admission(before: Partial<ManagerState> | undefined, after: ManagerState): void {
    const w = this.w;
    const newly = Object.entries(after.resources).filter(
      ([r, rec]) => rec.admitted && !before?.resources?.[r]?.admitted,
    );
    if (newly.length === 0) return;
    const hosts = Object.keys(w.spec.hosts).filter(
      (h) => after.hosts[h]?.state === "online" && w.store.hostAlive(h),
    );
    let cpu = 0;
    let mem = 0;
    for (const [r, rec] of Object.entries(after.resources)) {
      const s = w.spec.resources[r];
      if (rec.admitted && s) {
        cpu += s.reservation.cpu;
        mem += s.reservation.memoryMiB;
      }
    }
    const cap = policyCapacity(w.spec, hosts);
    if (cpu > cap.cpu + 1e-9 || mem > cap.mem + 1e-9) {
      this.fail(
        "admission",
        `admitted ${newly.map(([r]) => r).join(", ")} with ${cpu} cpu / ${mem} MiB protected, policy allows ${cap.cpu} / ${cap.mem} on ${hosts.join(",")}`,
      );
    }
  }

  /** Liveness after healing: every admitted, started, non-error resource runs exactly once. */
  settled(): string[] {
    const w = this.w;
    const out: string[] = [];
    const m = this.manager() as ManagerState | undefined;
    const blocked = (r: string, seen: Set<string>): boolean => {
      const s = w.spec.resources[r];
      const rec = m?.resources?.[r];
      if (s?.state !== "started" || !rec?.admitted || rec.state === "error") return true;
      if (seen.has(r)) return false;
      seen.add(r);
      return [...s.placement.after, ...s.placement.colocateWith].some((d) => blocked(d, seen));
    };
    for (const r of Object.keys(w.spec.resources)) {
      const rec = m?.resources?.[r];
      // not protected, in error, or depending on one (start order, colocation): may not run
      if (!rec || blocked(r, new Set())) continue;
      const on = w.runners(r);
      if (on.length !== 1) out.push(`${r} (${rec.state} on ${rec.node ?? "-"}) runs on ${on.length} hosts`);
    }
    return out;
  }
}
