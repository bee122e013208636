// Safety invariants, judged on ground truth (what the simulated hypervisors run), not on
// what the core believes:
//   1. never one resource active on two hosts;
//   2. nothing started on a host that is not online (live lease, committed state online);
//   3. no recovery before fence confirmation or the self-fence deadline (lease expiry as the
//      store saw it + selfFenceDeadlineMs);
//   4. admission control never violated when a resource is admitted (recomputed here
//      independently of core/admission.ts);
//   5. exactly one decides: never two agents acting as primary with the store reachable;
// and the liveness check `settled()` used at the end of a fuzz run.
import type { ManagerState } from "../core/model";
import type { SimWorld } from "./world";
import { fmtTime } from "./world";

interface Expiry {
  at: number;
  running: Set<string>;
}

export class Invariants {
  readonly violations: string[] = [];
  private readonly expiries = new Map<string, Expiry>();
  private readonly alive = new Map<string, boolean>();
  private readonly fencedAt = new Map<string, number>();

  constructor(private readonly w: SimWorld) {}

  private fail(msg: string): void {
    const line = `${fmtTime(this.w.now)} INVARIANT VIOLATED: ${msg}`;
    this.violations.push(line);
    this.w.lines.push(line);
  }

  fenced(host: string): void {
    this.fencedAt.set(host, this.w.now);
  }

  afterStart(r: string, host: string): void {
    const w = this.w;
    const on = w.runners(r);
    if (on.length > 1) this.fail(`${r} runs on ${on.join(" and ")}`);
    const st = w.store.manager?.hosts[host]?.state;
    if (!w.leaseAlive(host) || (st !== "online" && st !== "maintenance")) {
      this.fail(
        `${r} started on ${host}, which is ${st ?? "unknown"} (lease ${w.leaseAlive(host) ? "alive" : "expired"})`,
      );
    }
    for (const [y, e] of this.expiries) {
      if (y === host || !e.running.has(r)) continue;
      const fenced = (this.fencedAt.get(y) ?? -1) >= e.at;
      const deadline = e.at + w.timing.selfFenceDeadlineMs;
      if (!fenced && w.now < deadline) {
        this.fail(
          `${r} recovered on ${host} at ${fmtTime(w.now)}, before ${y} was fenced or its deadline ${fmtTime(deadline)}`,
        );
      }
    }
  }

  afterRound(): void {
    const w = this.w;
    for (const h of w.hosts.values()) {
      const alive = w.leaseAlive(h.name);
      const was = this.alive.get(h.name) ?? true;
      if (was && !alive) {
        const at = (w.store.renewedAt.get(h.name) ?? 0) + w.timing.leaseTtlMs;
        this.expiries.set(h.name, { at, running: new Set(h.running) });
      } else if (!alive) {
        const e = this.expiries.get(h.name);
        if (e) for (const r of h.running) e.running.add(r);
      } else if (!was && alive) {
        this.expiries.delete(h.name);
      }
      this.alive.set(h.name, alive);
    }
    for (const r of Object.keys(w.spec.resources)) {
      const on = w.runners(r);
      if (on.length > 1) this.fail(`${r} runs on ${on.join(" and ")}`);
    }
    // exactly one decides: at most one live agent that reaches the store acted as primary
    const deciders = [...w.hosts.values()].filter(
      (h) => h.power && !h.agentHung && w.reachable(h) && h.runtime.local.primary,
    );
    if (deciders.length > 1) this.fail(`${deciders.map((h) => h.name).join(" and ")} both act as primary`);
  }

  afterCommit(before: ManagerState | undefined, after: ManagerState): void {
    const w = this.w;
    const newly = Object.entries(after.resources).filter(
      ([r, rec]) => rec.admitted && !before?.resources[r]?.admitted,
    );
    if (newly.length === 0) return;
    const hosts = Object.keys(w.spec.hosts).filter(
      (h) => after.hosts[h]?.state === "online" && w.leaseAlive(h),
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
    const cap = policyCapacity(w, hosts);
    if (cpu > cap.cpu + 1e-9 || mem > cap.mem + 1e-9) {
      this.fail(
        `admission: admitted ${newly.map(([r]) => r).join(", ")} with ${cpu} cpu / ${mem} MiB protected, ` +
          `policy allows ${cap.cpu} / ${cap.mem} on ${hosts.join(",")}`,
      );
    }
  }

  /** Liveness after healing: every admitted, started, non-error resource runs exactly once. */
  settled(): string[] {
    const w = this.w;
    const out: string[] = [];
    const m = w.store.manager;
    const blocked = (r: string, seen: Set<string>): boolean => {
      const s = w.spec.resources[r];
      const rec = m?.resources[r];
      if (s?.state !== "started" || !rec?.admitted || rec.state === "error") return true;
      if (seen.has(r)) return false;
      seen.add(r);
      return [...s.placement.after, ...s.placement.colocateWith].some((d) => blocked(d, seen));
    };
    for (const [r] of Object.entries(w.spec.resources)) {
      const rec = m?.resources[r];
      // a resource that is not protected, in error, or depends on one (start order,
      // colocation) legitimately does not run
      if (!rec || blocked(r, new Set())) continue;
      const on = w.runners(r);
      if (on.length !== 1) out.push(`${r} (${rec.state} on ${rec.node ?? "-"}) runs on ${on.length} hosts`);
    }
    return out;
  }
}

function policyCapacity(w: SimWorld, hosts: string[]): { cpu: number; mem: number } {
  const p = w.spec.admissionControl;
  const dedicated = new Set(p.policy === "dedicatedHosts" ? p.hosts : []);
  const hs = hosts.filter((h) => !dedicated.has(h)).map((h) => w.spec.hosts[h]!);
  const cpu = hs.reduce((a, h) => a + h.cpu, 0);
  const mem = hs.reduce((a, h) => a + h.memoryMiB, 0);
  if (p.policy === "disabled") return { cpu: Number.POSITIVE_INFINITY, mem: Number.POSITIVE_INFINITY };
  if (p.policy === "percentage")
    return { cpu: (cpu * (100 - p.cpuPercent)) / 100, mem: (mem * (100 - p.memoryPercent)) / 100 };
  if (p.policy === "dedicatedHosts") return { cpu, mem };
  const n = p.hostFailures;
  const topCpu = hs
    .map((h) => h.cpu)
    .sort((a, b) => b - a)
    .slice(0, n)
    .reduce((a, b) => a + b, 0);
  const topMem = hs
    .map((h) => h.memoryMiB)
    .sort((a, b) => b - a)
    .slice(0, n)
    .reduce((a, b) => a + b, 0);
  return { cpu: cpu - topCpu, mem: mem - topMem };
}
