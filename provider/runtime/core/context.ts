// The working context of one manager step: the spec, the view, the time, the state being
// built (copy-on-write per record, so a step over 8000 resources copies only what it
// changes), the actions and the notes the sentence is made of. Pure.
import type { Action, HostRecord, HostReport, ManagerState, ResourceRecord, StoreView } from "./model";
import type { ClusterSpec } from "./spec";
import { type HostState, type ResourceState, setState } from "./states";

export interface Note {
  /** Lower first: 0 failures and fencing, 1 recoveries, 2 moves, 3 waiting, 9 summary. */
  rank: number;
  text: string;
}

export class ManagerContext {
  readonly state: ManagerState;
  readonly actions: Action[] = [];
  readonly notes: Note[] = [];
  readonly leases: ReadonlySet<string>;
  readonly maintenance: ReadonlySet<string>;
  readonly inFlight: ReadonlySet<string>;
  private readonly copiedHosts = new Set<string>();
  private eligible: string[] | undefined;
  /** Records were added or removed (set by the spec reconciliation). */
  structureChanged = false;
  /** Protected resources, and those of them started (counted in the resource pass). */
  readonly census = { protected: 0, started: 0 };
  private readonly copiedResources = new Set<string>();
  /** This primary's own first sighting of each fencing host's expiry (see LocalState). */
  readonly observed: Record<string, number>;

  constructor(
    readonly spec: ClusterSpec,
    readonly view: StoreView,
    readonly now: number,
    base: ManagerState,
    inFlight: readonly string[],
    readonly self: string,
    observed: Readonly<Record<string, number>> = {},
  ) {
    this.observed = { ...observed };
    this.state = { ...base, hosts: { ...base.hosts }, resources: { ...base.resources } };
    this.leases = new Set(view.leases);
    this.maintenance = new Set(view.maintenance);
    this.inFlight = new Set(inFlight);
  }

  /** A host record safe to mutate. */
  host(name: string): HostRecord {
    if (!this.copiedHosts.has(name)) {
      const r = this.state.hosts[name]!;
      this.state.hosts[name] = { ...r, fence: r.fence ? { ...r.fence } : undefined };
      this.copiedHosts.add(name);
    }
    return this.state.hosts[name]!;
  }

  /** A resource record safe to mutate. */
  res(name: string): ResourceRecord {
    if (!this.copiedResources.has(name)) {
      this.state.resources[name] = { ...this.state.resources[name]! };
      this.copiedResources.add(name);
    }
    return this.state.resources[name]!;
  }

  hostState(name: string, to: HostState, reason: string): void {
    this.eligible = undefined;
    const h = this.host(name);
    if (h.state !== to) h.rev = this.view.managerRevision;
    setState("host", name, h, to, reason, this.now, this.actions);
  }

  resState(name: string, to: ResourceState, reason: string): void {
    const r = this.res(name);
    if (r.state !== to) r.rev = this.view.managerRevision;
    setState("resource", name, r, to, reason, this.now, this.actions);
  }

  /** Marks a change of a resource's assignment that reports must have seen to prove anything. */
  touch(name: string): void {
    this.res(name).rev = this.view.managerRevision;
  }

  /**
   * What host h's report proves about r, for a decision that depends on the change recorded
   * at `since` (a manager revision): "running", "stopped" (surely not running there), or
   * "unknown". Only a report of a live, online host by an agent that had read the change proves
   * anything; "stopped" also needs a successful list and no operation on r in flight there.
   */
  proof(h: string | undefined, r: string, since: number | undefined): "running" | "stopped" | "unknown" {
    const rep = this.trusted(h);
    // an older report proves nothing either way: a migration may have landed or left since
    if (!rep || rep.managerRevision <= (since ?? -1)) return "unknown";
    if (rep.running.includes(r)) return "running";
    if (!rep.listed || rep.busy.includes(r)) return "unknown";
    return "stopped";
  }

  /** A report of `host` the primary may trust: its lease is alive and it is online/maintenance. */
  trusted(host: string | undefined): HostReport | undefined {
    if (!host || !this.leases.has(host)) return undefined;
    const s = this.state.hosts[host]?.state;
    return s === "online" || s === "maintenance" ? this.view.reports[host] : undefined;
  }

  log(subject: string, message: string, level: "info" | "warn" | "error" = "info"): void {
    this.actions.push({ type: "log", level, subject, message });
  }

  note(rank: number, text: string): void {
    this.notes.push({ rank, text });
  }

  /** Hosts that may take resources: online (not maintenance) with a live lease, name order. */
  eligibleHosts(): string[] {
    this.eligible ??= Object.keys(this.spec.hosts)
      .filter((h) => this.state.hosts[h]?.state === "online" && this.leases.has(h))
      .sort();
    return this.eligible;
  }

  /** True if the step changed anything that must be committed. */
  changed(base: ManagerState | undefined): boolean {
    if (!base || base.specRevision !== this.state.specRevision || base.seq !== this.state.seq) return true;
    if (base.handledRequests.join("\n") !== this.state.handledRequests.join("\n")) return true;
    if (Object.keys(base.hosts).length !== Object.keys(this.state.hosts).length) return true;
    if (this.structureChanged) return true;
    for (const h of this.copiedHosts) {
      if (JSON.stringify(base.hosts[h]) !== JSON.stringify(this.state.hosts[h])) return true;
    }
    for (const r of this.copiedResources) {
      if (JSON.stringify(base.resources[r]) !== JSON.stringify(this.state.resources[r])) return true;
    }
    return false;
  }

  /** Hands out the next assignment sequence number. */
  nextEpoch(): number {
    this.state.seq += 1;
    return this.state.seq;
  }
}

export function fmtMs(ms: number): string {
  const v = Math.max(0, ms);
  if (v >= 3_600_000 && v % 3_600_000 === 0) return `${v / 3_600_000}h`;
  if (v >= 60_000 && v % 60_000 === 0) return `${v / 60_000}m`;
  return `${(v / 1000).toFixed(2).replace(/\.?0+$/, "")}s`;
}
