// Placement: which host takes a resource. Pure and pluggable: a Placer chooses one host for
// one request against a PlacementIndex, which keeps per-host usage and anti-affinity
// membership up to date as choices are made, so planning N placements on H hosts costs
// O(N x H) and never rescans the resources (8000 VMs / 64 hosts in well under 50 ms).
import type { ManagerState } from "./model";
import type { ClusterSpec, ResourceSpec } from "./spec";

export interface PlacementRequest {
  resource: string;
  spec: ResourceSpec;
  /** Hosts to leave out (the one it failed on, the one being drained). */
  avoid: readonly string[];
  /** A failover (may use dedicated failover hosts). */
  recovery: boolean;
}

export type PlacementChoice = { host: string } | { refused: string };

export interface Placer {
  choose(req: PlacementRequest, index: PlacementIndex): PlacementChoice;
}

interface Usage {
  cpu: number;
  mem: number;
}

// A resource occupies its node while starting/started/stopping/migrating/relocating, and its
// target too while migrating/relocating.
export class PlacementIndex {
  readonly used = new Map<string, Usage>();
  /** anti-affinity group -> host -> members there */
  readonly groups = new Map<string, Map<string, number>>();
  /** Resources by the host they occupy (node, and target while moving). */
  readonly byNode = new Map<string, string[]>();
  /** Resources with a home host (failback candidates). */
  readonly withHome: string[] = [];
  /** Placements made during this step (override the records for colocation). */
  private readonly moved = new Map<string, string | undefined>();

  constructor(
    readonly spec: ClusterSpec,
    /** Hosts that may take resources now, in name order. */
    readonly eligible: readonly string[],
    /** Hosts only failovers may use (dedicatedHosts admission policy). */
    readonly failoverOnly: ReadonlySet<string>,
    private readonly state: ManagerState,
  ) {
    for (const h of Object.keys(spec.hosts)) this.used.set(h, { cpu: 0, mem: 0 });
    const all = state.resources;
    for (const name in all) {
      const rec = all[name]!;
      if (rec.home) this.withHome.push(name);
      if (!rec.node) continue;
      const list = this.byNode.get(rec.node);
      if (list) list.push(name);
      else this.byNode.set(rec.node, [name]);
      const s = rec.state;
      const moving = s === "migrating" || s === "relocating";
      if (moving || s === "starting" || s === "started" || s === "stopping") this.add(name, rec.node);
      if (moving && rec.target) this.add(name, rec.target);
    }
  }

  /** The host a resource is (or will be) on, for colocation. */
  where(resource: string): string | undefined {
    if (this.moved.has(resource)) return this.moved.get(resource);
    const rec = this.state.resources[resource];
    if (!rec) return undefined;
    const s = rec.state;
    if (s === "migrating" || s === "relocating") return rec.target;
    return s === "starting" || s === "started" || s === "stopping" ? rec.node : undefined;
  }

  private add(resource: string, host: string, sign = 1): void {
    const r = this.spec.resources[resource];
    const u = this.used.get(host);
    if (!r || !u) return;
    u.cpu += sign * r.reservation.cpu;
    u.mem += sign * r.reservation.memoryMiB;
    const g = r.placement.antiAffinityGroup;
    if (g) {
      const m = this.groups.get(g) ?? new Map<string, number>();
      this.groups.set(g, m);
      m.set(host, (m.get(host) ?? 0) + sign);
    }
  }

  /** Records that `resource` now occupies `host` (call after a choice is taken). */
  assign(resource: string, host: string): void {
    this.add(resource, host);
    this.moved.set(resource, host);
  }

  /** Records that `resource` no longer occupies `host`. */
  release(resource: string, host: string): void {
    this.add(resource, host, -1);
    if (this.where(resource) === host) this.moved.set(resource, undefined);
  }

  free(host: string): Usage {
    const h = this.spec.hosts[host]!;
    const u = this.used.get(host)!;
    return { cpu: h.cpu - u.cpu, mem: h.memoryMiB - u.mem };
  }

  /** Load after adding `spec` (max of CPU and memory ratio). */
  loadWith(host: string, spec: ResourceSpec): number {
    const h = this.spec.hosts[host]!;
    const u = this.used.get(host)!;
    return Math.max(
      (u.cpu + spec.reservation.cpu) / h.cpu,
      (u.mem + spec.reservation.memoryMiB) / h.memoryMiB,
    );
  }

  groupMembersOn(group: string, host: string): number {
    return this.groups.get(group)?.get(host) ?? 0;
  }
}

/** Why a host cannot take a request, or undefined if it can. */
export function hostRejects(req: PlacementRequest, host: string, index: PlacementIndex): string | undefined {
  const p = req.spec.placement;
  if (req.avoid.includes(host)) return "avoided";
  if (p.bannedHosts.includes(host)) return "banned";
  if (!req.recovery && index.failoverOnly.has(host)) return "failover-only";
  for (const c of p.colocateWith) {
    if (index.where(c) !== host) return "colocation";
  }
  const g = p.antiAffinityGroup;
  if (g && index.groupMembersOn(g, host) > (index.where(req.resource) === host ? 1 : 0))
    return "anti-affinity";
  const free = index.free(host);
  if (free.cpu < req.spec.reservation.cpu || free.mem < req.spec.reservation.memoryMiB) return "full";
  return undefined;
}

/**
 * The default placer: hard constraints (ban, colocation, anti-affinity, capacity, failover-only
 * hosts), then preferred hosts in their order, then the least loaded host, then the name.
 */
export const defaultPlacer: Placer = {
  choose(req, index) {
    let best: string | undefined;
    let bestPref = Number.POSITIVE_INFINITY;
    let bestLoad = Number.POSITIVE_INFINITY;
    const why = new Map<string, number>();
    const prefs = req.spec.placement.preferredHosts;
    for (const host of index.eligible) {
      const no = hostRejects(req, host, index);
      if (no) {
        why.set(no, (why.get(no) ?? 0) + 1);
        continue;
      }
      const i = prefs.indexOf(host);
      const pref = i < 0 ? prefs.length : i;
      const load = index.loadWith(host, req.spec);
      if (pref < bestPref || (pref === bestPref && load < bestLoad)) {
        best = host;
        bestPref = pref;
        bestLoad = load;
      }
    }
    if (best) return { host: best };
    return { refused: refusal(req, index, why) };
  },
};

function refusal(req: PlacementRequest, index: PlacementIndex, why: Map<string, number>): string {
  const r = req.spec.reservation;
  const parts = [...why.entries()].sort().map(([k, n]) => `${n} ${k}`);
  const offline = Object.keys(index.spec.hosts).length - index.eligible.length;
  if (offline) parts.push(`${offline} not online`);
  return `no host can take it (needs ${r.cpu} cpu, ${r.memoryMiB} MiB): ${parts.join(", ") || "no hosts"}`;
}
