// The ResourceDriver of the port on one real host: libvirt for VMs (domain XML from the spec,
// transient domains), any OCF agent for `ocf`/`ip` resources and for VMs whose spec names an
// agent (ocf:heartbeat:VirtualDomain). Idempotent: starting a running resource or stopping a
// stopped one succeeds. Errors name the resource and say whether retrying can help.
// list() runs inside the heartbeat loop, so it never waits long: slow answers (first OCF probes,
// libvirt metadata) arrive in the background, and until then the resource is in unknown().
import * as fs from "node:fs";
import type { MonitorResult, ResourceDriver, ResourceSpec } from "../env";
import { RetryableError, TerminalError } from "../env";
import { isActive, type LibvirtDriver } from "../libvirt/driver";
import type { PauseMeaning } from "../libvirt/pause";
import type { DomainWatch } from "../libvirt/watch";
import {
  OCF,
  OCF_ROOT,
  type OcfAction,
  type OcfResource,
  type OcfRun,
  parseAgent,
  runOcf,
} from "../ocf/runner";
import { MARKER_NS, withMarker } from "./domain-owner";
import { lastLine, ocfError, PROBE_NOT_RUNNING, ProbePool } from "./ocf-probes";
import { type Here, VmDomains, within } from "./vm-domains";

export { MARKER_NS, withMarker };

export interface HostResourcesOptions {
  host: string;
  /** Graceful shutdown deadline before a VM is destroyed. */
  gracefulStopMs: number;
  /** Deadline of one OCF action. */
  ocfTimeoutMs: number;
  /** libvirt URI and migration address of a peer host, for live migration. */
  peer: (host: string) => { libvirtUri: string; migrateUri?: string } | undefined;
  /** Called when a long operation finished (wakes the loop). */
  onDone?: () => void;
  /**
   * While this host is isolated (its lease may have expired), the ms left until its self-fence
   * deadline; undefined while the lease is valid. A graceful stop never outlasts it.
   */
  isolationBudgetMs?: () => number | undefined;
  /** Cluster name, written into the metadata of the domains this runtime starts. */
  cluster: string;
  log?: (subject: string, message: string) => void;
  /** How long list() waits for a libvirt re-list when the event stream is not fresh. Default 2000. */
  refreshTimeoutMs?: number;
  /** How long list() waits for per-domain checks (marker, pause reason). Default 500. */
  checkTimeoutMs?: number;
  /** First OCF probes running at once. Default 3. */
  probeConcurrency?: number;
  /** After a `virsh create` that timed out, how long libvirtd may still create the domain. Default 15000. */
  createGraceMs?: number;
  /** OCF_ROOT (tests point it at fake agents). */
  ocfRoot?: string;
}

/** Time kept back from the self-fence budget for `virsh destroy` after the graceful attempt. */
const DESTROY_RESERVE_MS = 400;
/** A guest shutdown given less than this is no shutdown: destroy at once and keep the time. */
const MIN_GRACE_MS = 1000;

/** Graceful part of a stop made while isolated: what the budget leaves after a destroy, if useful. */
export function isolationGraceMs(gracefulStopMs: number, budgetMs: number): number {
  const left = budgetMs - DESTROY_RESERVE_MS;
  return left >= MIN_GRACE_MS ? Math.min(gracefulStopMs, left) : 0;
}

type Backend = { type: "libvirt"; xml: () => string } | { type: "ocf"; res: OcfResource };

export class HostResources implements ResourceDriver {
  private readonly ocfRunning = new Set<string>();
  /** Last known definition of each OCF resource run here (to stop one removed from the spec). */
  private readonly ocfKnown = new Map<string, OcfResource>();
  private readonly orphansStopping = new Set<string>();
  private readonly probed = new Set<string>();
  /** +1 per start/stop of a resource: a probe that overlapped one has nothing to say. */
  private readonly opCount = new Map<string, number>();
  private readonly probes: ProbePool;
  private readonly vms: VmDomains;
  private lastUnknown: string[] = [];
  private lastListed = new Set<string>();
  private readonly lastPingOk = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();

  constructor(
    private readonly libvirt: LibvirtDriver,
    private readonly watch: DomainWatch,
    private readonly opts: HostResourcesOptions,
  ) {
    this.probes = new ProbePool((res) => this.probe(res), opts.probeConcurrency ?? 3);
    this.vms = new VmDomains(libvirt, watch, {
      host: opts.host,
      cluster: opts.cluster,
      log: (subject, m) => this.opts.log?.(subject, m),
      createGraceMs: opts.createGraceMs ?? 15000,
    });
  }

  backend(name: string, spec: ResourceSpec): Backend {
    const agent =
      spec.agent ??
      (spec.kind === "ip" ? "ocf:heartbeat:IPaddr2" : spec.kind === "vm" ? "libvirt" : undefined);
    if (!agent)
      throw new TerminalError(`resource ${name}`, `kind ${spec.kind} needs an agent (ocf:<provider>:<type>)`);
    if (agent === "libvirt") {
      return {
        type: "libvirt",
        xml: () => {
          if (spec.params["domainXml"]) return spec.params["domainXml"];
          const file = spec.params["config"];
          if (file) {
            try {
              return fs.readFileSync(file, "utf8");
            } catch (err) {
              throw new TerminalError(
                `resource ${name}`,
                `cannot read domain XML ${file} on ${this.opts.host}: ${String(err)}`,
              );
            }
          }
          throw new TerminalError(`resource ${name}`, "spec has neither params.domainXml nor params.config");
        },
      };
    }
    try {
      parseAgent(agent, name);
    } catch (err) {
      throw new TerminalError(`resource ${name}`, msg(err).replace(`resource ${name}: `, ""));
    }
    return { type: "ocf", res: { name, agent, params: spec.params } };
  }

  async list(spec: Readonly<Record<string, ResourceSpec>>): Promise<string[]> {
    await this.freshDomains();
    this.stopOrphans(spec);
    const out: string[] = [];
    const unknown = new Set<string>();
    const checks: Promise<void>[] = [];
    const limit = this.opts.checkTimeoutMs ?? 500;
    for (const [name, s] of Object.entries(spec)) {
      let b: Backend;
      try {
        b = this.backend(name, s);
      } catch {
        continue;
      }
      if (b.type === "libvirt") {
        const info = this.watch.get(name);
        if (info && isActive(info.state)) {
          checks.push(
            within(this.vms.here(name, info), limit, "unknown" as Here).then((here) => {
              if (here === "running") out.push(name);
              if (here === "unknown") unknown.add(name);
            }),
          );
        } else if (this.vms.isUncertain(name)) unknown.add(name);
      } else {
        if (!this.probed.has(name)) this.probes.schedule(b.res);
        if (this.ocfRunning.has(name)) out.push(name);
        else if (this.probes.has(name)) unknown.add(name);
      }
    }
    await Promise.all(checks);
    this.vms.owners.retain(new Set(this.watch.active().map((n) => `${n}#${this.watch.get(n)?.id ?? "-"}`)));
    this.lastUnknown = [...unknown];
    this.lastListed = new Set(out);
    return out.sort();
  }

  /**
   * Resources whose state on this host is not known yet: the caller must count them as maybe
   * running, never as stopped. What was unknown at the last list() stays in, even if a probe
   * answered since: that answer reaches the caller with the next list(), not before.
   */
  unknown(): string[] {
    const out = new Set(this.lastUnknown);
    for (const n of this.probes.names()) if (!this.ocfRunning.has(n)) out.add(n);
    for (const n of [...this.vms.uncertain.keys()])
      if (this.vms.isUncertain(n) && !this.lastListed.has(n)) out.add(n);
    return [...out].sort();
  }

  /** A lost event leaves the watch stale; re-listing may hang with libvirtd, so it is bounded. */
  private async freshDomains(): Promise<void> {
    if (this.watch.fresh) return;
    const ms = this.opts.refreshTimeoutMs ?? 2000;
    const answered = await within(
      this.watch.refresh().then(() => true),
      ms,
      false,
    );
    if (this.watch.fresh) return;
    const why = this.watch.lastError ? `: ${this.watch.lastError}` : "";
    throw new RetryableError(
      `host ${this.opts.host}`,
      answered ? `libvirt not answering${why}` : `libvirt did not list its domains within ${ms} ms${why}`,
    );
  }

  /**
   * A resource removed from the spec (a Pulumi destroy, a rename) is stopped where it runs: VMs
   * this runtime started carry a marker in their XML metadata; OCF resources are remembered.
   * Domains without the marker (not ours) are never touched. Runs in the background.
   */
  private stopOrphans(spec: Readonly<Record<string, ResourceSpec>>): void {
    for (const name of this.watch.active()) {
      if (spec[name] || this.orphansStopping.has(name)) continue;
      this.orphansStopping.add(name);
      void (async () => {
        try {
          if ((await this.vms.owners.check(name, this.watch.get(name)?.id)) !== "ours") return;
          this.opts.log?.(`resource ${name}`, `no longer in the spec: stopping it on ${this.opts.host}`);
          await this.libvirt.stop(name, this.opts.gracefulStopMs);
          await this.watch.refresh();
        } catch (err) {
          this.opts.log?.(`resource ${name}`, `stopping it (no longer in the spec) failed: ${msg(err)}`);
        } finally {
          this.orphansStopping.delete(name);
        }
      })();
    }
    for (const name of [...this.ocfRunning]) {
      const res = this.ocfKnown.get(name);
      if (spec[name] || !res || this.orphansStopping.has(name)) continue;
      this.orphansStopping.add(name);
      void this.ocf(res, "stop", this.opts.ocfTimeoutMs)
        .then((r) => {
          if (r.code === OCF.SUCCESS || r.code === OCF.NOT_RUNNING) this.ocfRunning.delete(name);
          this.opts.log?.(`resource ${name}`, `no longer in the spec: ${res.agent} stop: ${r.codeName}`);
        })
        .finally(() => this.orphansStopping.delete(name));
    }
  }

  /** First look at an OCF resource (adoption after an agent restart); runs in the ProbePool. */
  private async probe(res: OcfResource): Promise<void> {
    const before = this.opCount.get(res.name) ?? 0;
    let r: OcfRun;
    try {
      r = await this.ocf(res, "monitor", this.opts.ocfTimeoutMs);
    } catch (err) {
      // Refused before running anything (invalid parameters): vmha cannot have started it either.
      this.probed.add(res.name);
      this.opts.log?.(`resource ${res.name}`, `cannot probe it on ${this.opts.host}: ${msg(err)}`);
      return;
    }
    if ((this.opCount.get(res.name) ?? 0) !== before) return; // a start or stop answered since
    this.probed.add(res.name);
    this.ocfKnown.set(res.name, res);
    // As Pacemaker reads a probe: anything but "not running" (a failure, a timeout) may leave it
    // active here, so it is reported running and gets stopped if it belongs elsewhere.
    if (!PROBE_NOT_RUNNING.has(r.code)) {
      this.ocfRunning.add(res.name);
      if (r.code !== OCF.SUCCESS)
        this.opts.log?.(
          `resource ${res.name}`,
          `first probe on ${this.opts.host}: ${r.codeName}; counted as running here until a stop succeeds`,
        );
    }
    this.done();
  }

  private ocf(res: OcfResource, action: OcfAction, timeoutMs: number): Promise<OcfRun> {
    return runOcf(res, action, timeoutMs, undefined, [], this.opts.ocfRoot ?? OCF_ROOT);
  }

  private touched(name: string): void {
    this.opCount.set(name, (this.opCount.get(name) ?? 0) + 1);
  }

  async start(name: string, spec: ResourceSpec): Promise<void> {
    try {
      const b = this.backend(name, spec);
      this.touched(name);
      if (b.type === "libvirt") {
        try {
          await this.vms.start(name, withMarker(b.xml(), MARKER_NS, this.opts.cluster, name));
          this.vms.uncertain.delete(name);
        } catch (err) {
          if (err instanceof TerminalError) throw err;
          const cleanup = await this.vms.cleanupFailedCreate(name, err);
          throw new RetryableError(`resource ${name}`, `start on ${this.opts.host}: ${msg(err)}; ${cleanup}`);
        } finally {
          await this.watch.refresh();
        }
      } else {
        await this.startOcf(name, b.res);
      }
      this.startedAt.set(name, Date.now());
      this.lastPingOk.delete(name);
    } finally {
      this.done();
    }
  }

  /** A failed or timed-out start may have done half its work: stop it, as Pacemaker does. */
  private async startOcf(name: string, res: OcfResource): Promise<void> {
    const r = await this.ocf(res, "start", this.opts.ocfTimeoutMs);
    this.probed.add(name);
    this.ocfKnown.set(name, res);
    if (r.code === OCF.SUCCESS) {
      this.ocfRunning.add(name);
      return;
    }
    const stop = await this.ocf(res, "stop", this.opts.ocfTimeoutMs);
    if (stop.code === OCF.SUCCESS || stop.code === OCF.NOT_RUNNING) {
      this.ocfRunning.delete(name);
      throw ocfError(name, this.opts.host, r, "; stopped again");
    }
    this.ocfRunning.add(name);
    throw ocfError(
      name,
      this.opts.host,
      r,
      `; the stop after it failed too (${stop.codeName}${lastLine(stop.output)}): reported as running on ${this.opts.host} until a stop succeeds`,
    );
  }

  async stop(name: string, spec: ResourceSpec, mode: "stop" | "kill"): Promise<void> {
    try {
      const b = this.backend(name, spec);
      this.touched(name);
      if (b.type === "libvirt") {
        try {
          if (await this.vms.foreignHere(name)) return;
          const budget = this.opts.isolationBudgetMs?.();
          const graceful =
            mode === "kill"
              ? 0
              : budget === undefined
                ? this.opts.gracefulStopMs
                : isolationGraceMs(this.opts.gracefulStopMs, budget);
          await this.libvirt.stop(name, graceful);
          this.vms.uncertain.delete(name);
        } catch (err) {
          throw new RetryableError(`resource ${name}`, `${mode} on ${this.opts.host}: ${msg(err)}`);
        } finally {
          await this.watch.refresh();
        }
      } else {
        const r = await this.ocf(
          b.res,
          "stop",
          mode === "kill" ? Math.min(5000, this.opts.ocfTimeoutMs) : this.opts.ocfTimeoutMs,
        );
        this.probed.add(name);
        if (r.code !== OCF.SUCCESS && r.code !== OCF.NOT_RUNNING) throw ocfError(name, this.opts.host, r);
        this.ocfRunning.delete(name);
      }
      this.startedAt.delete(name);
    } finally {
      this.done();
    }
  }

  async monitor(name: string, spec: ResourceSpec): Promise<MonitorResult> {
    const b = this.backend(name, spec);
    if (b.type === "ocf") {
      const r = await this.ocf(b.res, "monitor", this.opts.ocfTimeoutMs);
      if (r.code === OCF.SUCCESS) this.ocfRunning.add(name);
      if (r.code === OCF.NOT_RUNNING) this.ocfRunning.delete(name);
      return {
        running: r.code !== OCF.NOT_RUNNING,
        healthy: r.code === OCF.SUCCESS,
        detail: `${b.res.agent} monitor: ${r.codeName}${lastLine(r.output)}`,
      };
    }
    const info = this.watch.get(name);
    const state = info?.state ?? "absent";
    const result: MonitorResult = {
      running: isActive(state),
      // libvirt creates domains paused and an operator may pause one: those are fine. Other
      // pauses (I/O error, panic, a migration killed half-way) are not; the reason tells.
      healthy: state === "running" || state === "blocked" || state === "idle",
      detail: `domain state ${state}`,
    };
    if (state === "paused") {
      let p: PauseMeaning;
      try {
        p = await this.vms.pauseOf(name, info, true);
      } catch (err) {
        throw new RetryableError(
          `resource ${name}`,
          `cannot read why it is paused on ${this.opts.host}: ${msg(err)}`,
        );
      }
      Object.assign(result, { running: p.running, healthy: p.healthy, detail: `domain ${p.why}` });
    }
    if (spec.monitoring.guestHeartbeat && result.running) {
      const now = Date.now();
      if (await this.libvirt.guestPing(name)) this.lastPingOk.set(name, now);
      const since = this.lastPingOk.get(name) ?? this.startedAt.get(name) ?? now;
      result.heartbeatAgeMs = now - since;
    }
    return result;
  }

  async migrate(name: string, spec: ResourceSpec, target: string): Promise<void> {
    try {
      const b = this.backend(name, spec);
      if (b.type !== "libvirt")
        throw new TerminalError(`resource ${name}`, `live migration needs a libvirt VM, not ${spec.agent}`);
      const peer = this.opts.peer(target);
      if (!peer)
        throw new TerminalError(`resource ${name}`, `no libvirt address known for target host ${target}`);
      this.vms.migrating.add(name);
      try {
        await this.libvirt.migrate(name, peer.libvirtUri, peer.migrateUri);
      } catch (err) {
        throw new RetryableError(`resource ${name}`, `migrate ${this.opts.host} -> ${target}: ${msg(err)}`);
      } finally {
        this.vms.migrating.delete(name);
        await this.watch.refresh();
      }
      this.startedAt.delete(name);
    } finally {
      this.done();
    }
  }

  private done(): void {
    const cb = this.opts.onDone;
    if (cb) setImmediate(cb);
  }
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
