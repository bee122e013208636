// Watches every lab host's libvirt (one `virsh event` stream each, plus a full list on every
// event) and records, for every moment, which VMs run where. It flags any moment one VM is
// active on two hosts (a double run) and answers "when did vm X first run on another host".
// A powered-off host's VMs count as running until hostOff() is called, which callers do only
// after every process of that host is dead: so a double run cannot be missed, only over-counted.
import { type DomainInfo, isActive, LibvirtDriver } from "../../../provider/runtime/libvirt/driver";
import { DomainWatch } from "../../../provider/runtime/libvirt/watch";
import { libvirtUri } from "./config";

export interface Sample {
  at: number;
  host: string;
  /** In libvirt state "running". */
  running: string[];
  /** Active in any way (running, paused, shutting down...). */
  active: string[];
}

export interface DoubleRun {
  at: number;
  vm: string;
  hosts: string[];
}

export class LabObserver {
  private watches = new Map<string, DomainWatch>();
  private current = new Map<string, Set<string>>();
  private states = new Map<string, Map<string, string>>();
  readonly history: Sample[] = [];
  readonly doubleRuns: DoubleRun[] = [];
  private inDouble = new Set<string>();

  async hostOn(h: string): Promise<void> {
    this.watches.get(h)?.stop();
    const w = new DomainWatch(new LibvirtDriver({ uri: libvirtUri(h), timeoutMs: 5000 }), {
      refreshMs: 1000,
      onChange: (d) => this.update(h, d),
    });
    this.watches.set(h, w);
    await w.start();
  }

  /** Call only once every process of `h` is dead. */
  hostOff(h: string): void {
    this.watches.get(h)?.stop();
    this.watches.delete(h);
    this.current.set(h, new Set());
    this.states.set(h, new Map());
    this.history.push({ at: Date.now(), host: h, running: [], active: [] });
  }

  private update(h: string, domains: ReadonlyMap<string, DomainInfo>): void {
    if (!this.watches.has(h)) return;
    const active = new Set([...domains.values()].filter((d) => isActive(d.state)).map((d) => d.name));
    this.current.set(h, active);
    this.states.set(h, new Map([...domains.values()].map((d) => [d.name, d.state])));
    const at = Date.now();
    this.history.push({
      at,
      host: h,
      running: [...active].filter((v) => this.states.get(h)?.get(v) === "running").sort(),
      active: [...active].sort(),
    });
    const where = new Map<string, string[]>();
    for (const [host, set] of this.current)
      for (const vm of set) where.set(vm, [...(where.get(vm) ?? []), host]);
    const nowDouble = new Set<string>();
    for (const [vm, hosts] of where) {
      if (hosts.length < 2) continue;
      nowDouble.add(vm);
      if (!this.inDouble.has(vm)) this.doubleRuns.push({ at, vm, hosts: hosts.sort() });
    }
    this.inDouble = nowDouble;
  }

  running(h: string): string[] {
    return [...(this.current.get(h) ?? [])].sort();
  }

  /** Hosts on which `vm` is active now. */
  where(vm: string): string[] {
    return [...this.current].filter(([, s]) => s.has(vm)).map(([h]) => h);
  }

  /** First moment after `after` at which `vm` was in state running on a host other than `not`. */
  firstRunningAt(vm: string, not: string, after: number): number | undefined {
    return this.history.find((s) => s.at >= after && s.host !== not && s.running.includes(vm))?.at;
  }

  /** First moment after `after` at which `vm` was no longer active on `host`. */
  goneAt(vm: string, host: string, after: number): number | undefined {
    return this.history.find((s) => s.at >= after && s.host === host && !s.active.includes(vm))?.at;
  }

  async refreshAll(): Promise<void> {
    await Promise.all([...this.watches.values()].map((w) => w.refresh()));
  }

  stop(): void {
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
  }
}
