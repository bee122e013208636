// The libvirt side of HostResources: which active domain is really the resource (vmha's marker),
// what a pause means (its reason), and creates that failed but may have left a domain behind.
import { TerminalError } from "../env";
import { type DomainInfo, isActive, type LibvirtDriver } from "../libvirt/driver";
import { type PauseMeaning, pauseMeaning } from "../libvirt/pause";
import { LibvirtError } from "../libvirt/virsh";
import type { DomainWatch } from "../libvirt/watch";
import { DomainOwners } from "./domain-owner";

export type Here = "running" | "not running" | "unknown";

export interface VmDomainsOptions {
  host: string;
  cluster: string;
  log: (subject: string, message: string) => void;
  /** After a `virsh create` that timed out, how long libvirtd may still create the domain. */
  createGraceMs: number;
}

export class VmDomains {
  readonly owners: DomainOwners;
  /** Pause reasons by the watch's DomainInfo object: re-read whenever libvirt reports a change. */
  private readonly pauses = new WeakMap<DomainInfo, Promise<PauseMeaning>>();
  /** Domains this agent is live-migrating away: their switch-over pause is expected. */
  readonly migrating = new Set<string>();
  /** Failed creates that libvirtd may still complete, until this performance.now(). */
  readonly uncertain = new Map<string, number>();

  constructor(
    private readonly libvirt: LibvirtDriver,
    private readonly watch: DomainWatch,
    private readonly opts: VmDomainsOptions,
  ) {
    this.owners = new DomainOwners(libvirt, opts.cluster, opts.log, opts.host);
  }

  async here(name: string, info: DomainInfo): Promise<Here> {
    try {
      if ((await this.owners.check(name, info.id)) !== "ours") return "not running";
      if (info.state !== "paused") return "running";
      return (await this.pauseOf(name, info)).running ? "running" : "not running";
    } catch {
      return "unknown";
    }
  }

  pauseOf(name: string, info: DomainInfo | undefined, reread = false): Promise<PauseMeaning> {
    const cached = info && !reread ? this.pauses.get(info) : undefined;
    if (cached) return cached;
    const p = this.libvirt.stateReason(name).then((r) => {
      if (r.state !== "paused")
        return { running: isActive(r.state), healthy: true, why: `${r.state} (${r.reason})` };
      return pauseMeaning(r.reason, this.migrating.has(name));
    });
    if (info) {
      this.pauses.set(info, p);
      p.catch(() => this.pauses.delete(info));
    }
    return p;
  }

  isUncertain(name: string): boolean {
    const until = this.uncertain.get(name);
    if (until === undefined) return false;
    if (performance.now() < until) return true;
    this.uncertain.delete(name);
    return false;
  }

  async start(name: string, xml: string): Promise<void> {
    const known = this.watch.fresh ? this.watch.state(name) : undefined;
    const s = known ?? (await this.libvirt.state(name));
    if (isActive(s)) {
      const owner = await this.owners.check(name, this.watch.get(name)?.id);
      if (owner === "foreign")
        throw new TerminalError(
          `resource ${name}`,
          `a domain named ${name} that vmha did not start runs on ${this.opts.host}: not adopting it`,
        );
      if (owner === "ours" && s === "paused" && !(await this.pauseOf(name, undefined, true)).running) {
        this.opts.log(
          `resource ${name}`,
          `destroying the stale source of a finished migration on ${this.opts.host}`,
        );
        await this.libvirt.destroy(name);
        await this.libvirt.start(name, xml);
        return;
      }
    }
    await this.libvirt.start(name, xml, s);
  }

  /**
   * A create that failed may still have left a domain (virsh killed at its deadline while
   * libvirtd went on): destroy it if it is ours, so nobody else starts the VM next to it.
   */
  async cleanupFailedCreate(name: string, err: unknown): Promise<string> {
    const grace = performance.now() + (this.opts.createGraceMs ?? 15000);
    if (err instanceof LibvirtError && err.timedOut) this.uncertain.set(name, grace);
    // The domain was there before this create (a cache that lagged): it is not a leftover of it.
    if (/already exists/i.test(msg(err))) return "a domain of that name already exists: left alone";
    try {
      const s = await this.libvirt.state(name);
      if (!isActive(s)) {
        return this.uncertain.has(name)
          ? "no domain yet, but libvirtd may still create it: its state here counts as unknown for a while"
          : "no domain was left behind";
      }
      const owner = await this.owners.check(name, undefined);
      if (owner !== "ours") return "a domain of that name not started by vmha is left alone";
      await this.libvirt.destroy(name);
      return "destroyed the half-created domain";
    } catch (e) {
      this.uncertain.set(name, grace);
      return `could not check for a half-created domain (${msg(e)}): its state here counts as unknown`;
    }
  }

  /** An active domain of that name that vmha did not start: our resource is not running here. */
  async foreignHere(name: string): Promise<boolean> {
    const s = this.watch.fresh ? this.watch.state(name) : await this.libvirt.state(name);
    if (!isActive(s)) return false;
    return (await this.owners.check(name, this.watch.get(name)?.id)) === "foreign";
  }
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `p`'s value, or `fallback` once `ms` have passed (p goes on and may fill a cache). */
export function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
