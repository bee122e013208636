// Watches every lab host's libvirt (one `virsh event` stream each, plus a full list on every
// event) and records, for every moment, which VMs run where. It flags any moment one VM is
// active on two hosts (a double run) and answers "when did vm X first run on another host".
// A powered-off host's VMs count as running until hostOff() is called, which callers do only
// after every process of that host is dead: so a double run cannot be missed, only over-counted.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
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
  private readonly confirming = new Set<string>();

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
    // A double run is the same VM executing on two hosts: a paused copy (a live migration's
    // target before the switch-over, its source after it) executes nothing.
    const where = new Map<string, string[]>();
    for (const [host, set] of this.current)
      for (const vm of set) {
        if (this.states.get(host)?.get(vm) === "paused") continue;
        where.set(vm, [...(where.get(vm) ?? []), host]);
      }
    const nowDouble = new Set<string>();
    for (const [vm, hosts] of where) {
      if (hosts.length < 2) continue;
      nowDouble.add(vm);
      if (!this.inDouble.has(vm)) void this.confirm(vm, hosts.sort(), at);
    }
    this.inDouble = nowDouble;
  }

  /**
   * Each host's events arrive on their own stream, so at a live migration's switch-over the
   * target may be seen running before the source's pause is: before a double run is recorded,
   * both hosts are listed again. A host that does not answer keeps its last state (a powered-off
   * host counts until hostOff()), so a real double run is never missed, only re-checked.
   */
  private async confirm(vm: string, hosts: string[], at: number): Promise<void> {
    if (this.confirming.has(vm)) return;
    this.confirming.add(vm);
    try {
      await Promise.all(
        hosts.map((h) =>
          this.watches
            .get(h)
            ?.refresh()
            .catch(() => undefined),
        ),
      );
      const still = hosts.filter(
        (h) => this.current.get(h)?.has(vm) && this.states.get(h)?.get(vm) !== "paused",
      );
      if (still.length >= 2) this.doubleRuns.push({ at, vm, hosts: still });
    } finally {
      this.confirming.delete(vm);
    }
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

// ---------------------------------------------------------------------------------------------
// TruthObserver: what runs where, independent of the agents AND of the runtime's code.
//
// Ground truth is the QEMU processes themselves: every `pollMs` (default 100 ms) it scans /proc
// for qemu-system processes, takes the VM name from `-name guest=<vm>` and the host from the
// process's network namespace (each lab host's netns is /run/netns/vmha-<h>, kept across power
// cycles). A QEMU process executes its guest until it is dead, whatever libvirt or an agent
// believes, and a powered-off host's VMs therefore count as running until every one of its
// processes is gone (as a real power loss: the guest stops when the machine does), with no
// hostOff() call needed. libvirt (one `virsh event --loop` per host plus a `virsh list --all`
// on every event and every `libvirtPollMs`) only tells a paused QEMU from a running one, so a
// live migration's paused target (-incoming) or a paused VM is not a second run. When libvirtd
// is down, every QEMU process of that host counts as running.
// ---------------------------------------------------------------------------------------------
export interface QemuProc {
  pid: number;
  vm: string;
  host: string;
  incoming: boolean;
  /** First time this observer saw the process (ms since the epoch). */
  seenAt: number;
}

export interface DoubleRunEpisode {
  vm: string;
  hosts: string[];
  start: number;
  /** Undefined while it lasts. */
  end?: number;
}

export interface Transition {
  at: number;
  vm: string;
  host: string;
  kind: "start" | "stop";
  /** For a start: the QEMU was a live migration's target (-incoming). */
  incoming?: boolean;
  /** libvirt of that host answered at the time (false: libvirtd down or host powered off). */
  libvirtUp: boolean;
}

interface LibvirtView {
  at: number;
  up: boolean;
  states: Map<string, string>;
}

function listStates(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split("\n")) {
    const r = /^\s*(\d+|-)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (r && r[2] !== "Name") m.set(r[2]!, r[3]!);
  }
  return m;
}

export class TruthObserver {
  readonly doubleRuns: DoubleRunEpisode[] = [];
  readonly transitions: Transition[] = [];
  private open = new Map<string, DoubleRunEpisode>();
  private procCache = new Map<string, QemuProc | null>();
  private execNow = new Map<string, Set<string>>();
  private libvirt = new Map<string, LibvirtView>();
  private events = new Map<string, ChildProcess>();
  private listing = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private nsToHost = new Map<string, string>();
  private stopped = false;
  /** Last scan time and duration. */
  lastScanAt = 0;
  scanMs = 0;
  private listeners: Array<() => void> = [];

  constructor(
    readonly hosts: readonly string[],
    readonly opts: { pollMs?: number; libvirtPollMs?: number; uri?: (h: string) => string } = {},
  ) {}

  start(): void {
    this.refreshNamespaces();
    this.scan();
    this.timers.push(setInterval(() => this.scan(), this.opts.pollMs ?? 100));
    this.timers.push(
      setInterval(() => {
        for (const h of this.hosts) this.list(h);
      }, this.opts.libvirtPollMs ?? 1000),
    );
    for (const h of this.hosts) {
      this.list(h);
      this.watchEvents(h);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const p of this.events.values()) p.kill("SIGKILL");
    this.events.clear();
  }

  /** Called after every scan. */
  onScan(f: () => void): void {
    this.listeners.push(f);
  }

  private uri(h: string): string {
    return this.opts.uri ? this.opts.uri(h) : libvirtUri(h);
  }

  private refreshNamespaces(): void {
    for (const h of this.hosts) {
      try {
        this.nsToHost.set(`net:[${fs.statSync(`/run/netns/vmha-${h}`).ino}]`, h);
      } catch {
        /* not there (yet) */
      }
    }
  }

  private watchEvents(h: string): void {
    if (this.stopped) return;
    const p = spawn("virsh", ["-q", "-c", this.uri(h), "event", "--all", "--loop", "--event", "lifecycle"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    this.events.set(h, p);
    p.stdout?.setEncoding("utf8");
    p.stdout?.on("data", () => this.list(h));
    p.on("exit", () => {
      if (this.events.get(h) === p) this.events.delete(h);
      if (!this.stopped) setTimeout(() => this.watchEvents(h), 500);
    });
  }

  /** One `virsh list --all` of h (at most one at a time per host). */
  private list(h: string): void {
    if (this.stopped || this.listing.has(h)) return;
    this.listing.add(h);
    const at = Date.now();
    const p = spawn("virsh", ["-c", this.uri(h), "list", "--all"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    p.stdout.setEncoding("utf8");
    p.stdout.on("data", (d: string) => {
      out += d;
    });
    const t = setTimeout(() => p.kill("SIGKILL"), 5000);
    p.on("close", (code) => {
      clearTimeout(t);
      this.listing.delete(h);
      this.libvirt.set(
        h,
        code === 0 ? { at, up: true, states: listStates(out) } : { at, up: false, states: new Map() },
      );
    });
  }

  /** Every live (not zombie) QEMU process of a lab host. */
  scanProcesses(): QemuProc[] {
    const out: QemuProc[] = [];
    const seen = new Set<string>();
    let names: string[] = [];
    try {
      names = fs.readdirSync("/proc");
    } catch {
      return out;
    }
    for (const n of names) {
      const c = n.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${n}/stat`, "latin1");
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      if (!comm.startsWith("qemu-system")) continue;
      const rest = stat.slice(close + 2).split(" ");
      if (rest[0] === "Z" || rest[0] === "X") continue;
      const key = `${n}:${rest[19]}`; // pid + start time
      seen.add(key);
      let info = this.procCache.get(key);
      if (info === undefined) {
        info = null;
        let known = true;
        try {
          const cmdline = fs.readFileSync(`/proc/${n}/cmdline`, "latin1");
          const argv = cmdline.split("\0");
          const i = argv.indexOf("-name");
          const vm = i >= 0 ? /(?:^|,)guest=([^,]+)/.exec(argv[i + 1] ?? "")?.[1] : undefined;
          const ns = fs.readlinkSync(`/proc/${n}/ns/net`);
          if (!this.nsToHost.has(ns)) this.refreshNamespaces();
          const host = this.nsToHost.get(ns);
          if (vm && host)
            info = { pid: Number(n), vm, host, incoming: argv.includes("-incoming"), seenAt: Date.now() };
          // A process caught inside execve() already has the new comm but not yet its argv (an
          // empty cmdline): looked at again on the next scan, never remembered as "no VM" (a VM
          // cached so stayed invisible for its whole life: a torture run's "unrecovered vm6").
          else known = cmdline.length > 0 && (!vm || host !== undefined);
        } catch {
          continue; // exited meanwhile
        }
        if (known) this.procCache.set(key, info);
      }
      if (info) out.push(info);
    }
    for (const k of this.procCache.keys()) if (!seen.has(k)) this.procCache.delete(k);
    return out;
  }

  private executing(p: QemuProc): boolean {
    const lv = this.libvirt.get(p.host);
    if (!lv || lv.at < p.seenAt) {
      // A QEMU process libvirt has not been asked about yet. libvirt starts every guest with
      // -S (vCPUs stopped) and resumes it once set up: ask now, count it once libvirt says it
      // runs (or once libvirt fails to answer: then it counts as running).
      this.list(p.host);
      return this.execNow.get(p.host)?.has(p.vm) ?? false;
    }
    if (!lv.up) return true;
    const st = lv.states.get(p.vm);
    // Paused (starting, a migration's target before the switch-over, a paused VM): not executing.
    if (st === "paused" || st === "pmsuspended") return false;
    if (p.incoming) return st === "running" || st === "in shutdown";
    return true;
  }

  scan(): void {
    const t0 = performance.now();
    const now = Date.now();
    const next = new Map<string, Set<string>>();
    for (const p of this.scanProcesses()) {
      if (!this.executing(p)) continue;
      const s = next.get(p.host) ?? new Set<string>();
      s.add(p.vm);
      next.set(p.host, s);
    }
    for (const h of this.hosts) {
      const before = this.execNow.get(h) ?? new Set<string>();
      const after = next.get(h) ?? new Set<string>();
      const up = this.libvirt.get(h)?.up ?? false;
      for (const vm of after)
        if (!before.has(vm)) {
          const proc = [...this.procCache.values()].find((p) => p && p.host === h && p.vm === vm);
          this.transitions.push({
            at: now,
            vm,
            host: h,
            kind: "start",
            incoming: proc?.incoming ?? false,
            libvirtUp: up,
          });
        }
      for (const vm of before)
        if (!after.has(vm)) this.transitions.push({ at: now, vm, host: h, kind: "stop", libvirtUp: up });
    }
    this.execNow = next;
    const where = new Map<string, string[]>();
    for (const [h, s] of next) for (const vm of s) where.set(vm, [...(where.get(vm) ?? []), h]);
    for (const [vm, hs] of where) {
      if (hs.length < 2) continue;
      const ep = this.open.get(vm);
      if (ep) {
        for (const h of hs) if (!ep.hosts.includes(h)) ep.hosts.push(h);
        ep.hosts.sort();
      } else {
        const e: DoubleRunEpisode = { vm, hosts: [...hs].sort(), start: now };
        this.open.set(vm, e);
        this.doubleRuns.push(e);
      }
    }
    for (const [vm, ep] of this.open)
      if ((where.get(vm)?.length ?? 0) < 2) {
        ep.end = now;
        this.open.delete(vm);
      }
    this.lastScanAt = now;
    this.scanMs = performance.now() - t0;
    for (const f of this.listeners) f();
  }

  /** Hosts on which `vm` executes now (last scan). */
  where(vm: string): string[] {
    return [...this.execNow]
      .filter(([, s]) => s.has(vm))
      .map(([h]) => h)
      .sort();
  }

  /** libvirt's last answer for `vm` on `h` ("down" when libvirtd did not answer). */
  libvirtState(h: string, vm: string): string {
    const lv = this.libvirt.get(h);
    if (!lv) return "not asked";
    return lv.up ? (lv.states.get(vm) ?? "not listed") : "down";
  }

  /** VMs executing on `h` now (last scan). */
  running(h: string): string[] {
    return [...(this.execNow.get(h) ?? [])].sort();
  }

  /** Waits for the next scan to finish (so `where` reflects the present). */
  fresh(): Promise<void> {
    const t = Date.now();
    return new Promise((resolve) => {
      const check = () => (this.lastScanAt > t ? resolve() : setTimeout(check, 10));
      check();
    });
  }
}

export function episodeMs(e: DoubleRunEpisode, now = Date.now()): number {
  return (e.end ?? now) - e.start;
}
