// The working context of one manager step: the spec, the view, the time, the state being
// built (copy-on-write per record, so a step over 8000 resources copies only what it
// changes), the actions and the notes the sentence is made of. Pure.
import type { Action, HostRecord, ManagerState, ResourceRecord, StoreView } from "./model";
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

  constructor(
    readonly spec: ClusterSpec,
    readonly view: StoreView,
    readonly now: number,
    base: ManagerState,
    inFlight: readonly string[],
    readonly self: string,
  ) {
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
    setState("host", name, this.host(name), to, reason, this.now, this.actions);
  }

  resState(name: string, to: ResourceState, reason: string): void {
    setState("resource", name, this.res(name), to, reason, this.now, this.actions);
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
    if (base.handledRequests.length !== this.state.handledRequests.length) return true;
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
