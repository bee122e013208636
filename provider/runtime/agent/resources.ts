// The ResourceDriver of the port on one real host: libvirt for VMs (domain XML from the spec,
// transient domains), any OCF agent for `ocf`/`ip` resources and for VMs whose spec names an
// agent (ocf:heartbeat:VirtualDomain). Idempotent: starting a running resource or stopping a
// stopped one succeeds. Errors name the resource and say whether retrying can help.
import * as fs from "node:fs";
import type { MonitorResult, ResourceDriver, ResourceSpec } from "../env";
import { RetryableError, TerminalError } from "../env";
import { isActive, type LibvirtDriver } from "../libvirt/driver";
import type { DomainWatch } from "../libvirt/watch";
import { OCF, type OcfResource, runOcf } from "../ocf/runner";

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
}

/** XML namespace of the marker vmha puts into the metadata of the domains it starts. */
export const MARKER_NS = "https://vmha.dev/xmlns/libvirt/1";

/** Adds `<vmha:resource cluster=… name=…/>` to the domain's <metadata> (created if absent). */
export function withMarker(xml: string, ns: string, cluster: string, name: string): string {
  if (xml.includes(ns)) return xml;
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  const tag = `<vmha:resource xmlns:vmha="${ns}" cluster="${esc(cluster)}" name="${esc(name)}"/>`;
  if (/<metadata\s*\/>/.test(xml)) return xml.replace(/<metadata\s*\/>/, `<metadata>${tag}</metadata>`);
  if (/<metadata>/.test(xml)) return xml.replace(/<metadata>/, `<metadata>${tag}`);
  return xml.replace(/<\/domain>\s*$/, `  <metadata>${tag}</metadata>\n</domain>\n`);
}

/** Time kept back from the self-fence budget for `virsh destroy` after the graceful attempt. */
const DESTROY_RESERVE_MS = 400;

type Backend = { type: "libvirt"; xml: () => string } | { type: "ocf"; res: OcfResource };

const TERMINAL_OCF = new Set<number>([
  OCF.ERR_ARGS,
  OCF.ERR_UNIMPLEMENTED,
  OCF.ERR_PERM,
  OCF.ERR_INSTALLED,
  OCF.ERR_CONFIGURED,
]);

export class HostResources implements ResourceDriver {
  private readonly ocfRunning = new Set<string>();
  /** Last known definition of each OCF resource run here (to stop one removed from the spec). */
  private readonly ocfKnown = new Map<string, OcfResource>();
  /** Active domains not in the spec: whether they carry this cluster's vmha marker. */
  private readonly markerChecked = new Map<string, boolean>();
  private readonly orphansStopping = new Set<string>();
  private readonly probed = new Set<string>();
  private readonly lastPingOk = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();

  constructor(
    private readonly libvirt: LibvirtDriver,
    private readonly watch: DomainWatch,
    private readonly opts: HostResourcesOptions,
  ) {}

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
    return { type: "ocf", res: { name, agent, params: spec.params } };
  }

  async list(spec: Readonly<Record<string, ResourceSpec>>): Promise<string[]> {
    if (!this.watch.fresh) await this.watch.refresh();
    if (!this.watch.fresh)
      throw new RetryableError(
        `host ${this.opts.host}`,
        `libvirt not answering: ${this.watch.lastError ?? "?"}`,
      );
    this.stopOrphans(spec);
    const out: string[] = [];
    for (const [name, s] of Object.entries(spec)) {
      let b: Backend;
      try {
        b = this.backend(name, s);
      } catch {
        continue;
      }
      if (b.type === "libvirt") {
        if (isActive(this.watch.state(name))) out.push(name);
      } else {
        if (!this.probed.has(name)) await this.probe(b.res);
        if (this.ocfRunning.has(name)) out.push(name);
      }
    }
    return out.sort();
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
          let ours = this.markerChecked.get(name);
          if (ours === undefined) {
            ours = await this.libvirt.hasMarker(name, MARKER_NS, this.opts.cluster);
            this.markerChecked.set(name, ours);
          }
          if (!ours) return;
          this.opts.log?.(`resource ${name}`, `no longer in the spec: stopping it on ${this.opts.host}`);
          await this.libvirt.stop(name, this.opts.gracefulStopMs);
          await this.watch.refresh();
          this.markerChecked.delete(name);
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
      void runOcf(res, "stop", this.opts.ocfTimeoutMs)
        .then((r) => {
          if (r.code === OCF.SUCCESS || r.code === OCF.NOT_RUNNING) this.ocfRunning.delete(name);
          this.opts.log?.(`resource ${name}`, `no longer in the spec: ${res.agent} stop: ${r.codeName}`);
        })
        .finally(() => this.orphansStopping.delete(name));
    }
  }

  /** First look at an OCF resource (adoption after an agent restart). */
  private async probe(res: OcfResource): Promise<void> {
    const r = await runOcf(res, "monitor", this.opts.ocfTimeoutMs);
    this.probed.add(res.name);
    this.ocfKnown.set(res.name, res);
    if (r.code === OCF.SUCCESS) this.ocfRunning.add(res.name);
  }

  async start(name: string, spec: ResourceSpec): Promise<void> {
    try {
      const b = this.backend(name, spec);
      if (b.type === "libvirt") {
        try {
          const xml = withMarker(b.xml(), MARKER_NS, this.opts.cluster, name);
          await this.libvirt.start(name, xml, this.watch.fresh ? this.watch.state(name) : undefined);
        } catch (err) {
          if (err instanceof TerminalError) throw err;
          throw new RetryableError(`resource ${name}`, `start on ${this.opts.host}: ${msg(err)}`);
        } finally {
          await this.watch.refresh();
        }
      } else {
        const r = await runOcf(b.res, "start", this.opts.ocfTimeoutMs);
        this.probed.add(name);
        if (r.code !== OCF.SUCCESS)
          throw ocfError(name, this.opts.host, r.action, r.codeName, r.output, r.code);
        this.ocfKnown.set(name, b.res);
        this.ocfRunning.add(name);
      }
      this.startedAt.set(name, Date.now());
      this.lastPingOk.delete(name);
    } finally {
      this.done();
    }
  }

  async stop(name: string, spec: ResourceSpec, mode: "stop" | "kill"): Promise<void> {
    try {
      const b = this.backend(name, spec);
      if (b.type === "libvirt") {
        try {
          const budget = this.opts.isolationBudgetMs?.();
          const graceful =
            mode === "kill"
              ? 0
              : budget === undefined
                ? this.opts.gracefulStopMs
                : Math.max(0, Math.min(this.opts.gracefulStopMs, budget - DESTROY_RESERVE_MS));
          await this.libvirt.stop(name, graceful);
        } catch (err) {
          throw new RetryableError(`resource ${name}`, `${mode} on ${this.opts.host}: ${msg(err)}`);
        } finally {
          await this.watch.refresh();
        }
      } else {
        const r = await runOcf(
          b.res,
          "stop",
          mode === "kill" ? Math.min(5000, this.opts.ocfTimeoutMs) : this.opts.ocfTimeoutMs,
        );
        this.probed.add(name);
        if (r.code !== OCF.SUCCESS && r.code !== OCF.NOT_RUNNING) {
          throw ocfError(name, this.opts.host, r.action, r.codeName, r.output, r.code);
        }
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
      const r = await runOcf(b.res, "monitor", this.opts.ocfTimeoutMs);
      if (r.code === OCF.SUCCESS) this.ocfRunning.add(name);
      if (r.code === OCF.NOT_RUNNING) this.ocfRunning.delete(name);
      return {
        running: r.code !== OCF.NOT_RUNNING,
        healthy: r.code === OCF.SUCCESS,
        detail: `${b.res.agent} monitor: ${r.codeName}${r.output ? `: ${r.output.split("\n").pop()}` : ""}`,
      };
    }
    const state = this.watch.state(name);
    const result: MonitorResult = {
      running: isActive(state),
      // libvirt creates domains paused, then resumes them; an operator may pause one too.
      // Neither is a failure HA should act on: only a domain that is gone or crashed is.
      healthy: state === "running" || state === "paused" || state === "blocked" || state === "idle",
      detail: `domain state ${state}`,
    };
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
      try {
        await this.libvirt.migrate(name, peer.libvirtUri, peer.migrateUri);
      } catch (err) {
        throw new RetryableError(`resource ${name}`, `migrate ${this.opts.host} -> ${target}: ${msg(err)}`);
      } finally {
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

function ocfError(
  name: string,
  host: string,
  action: string,
  codeName: string,
  output: string,
  code: number,
): Error {
  const text = `${action} on ${host}: ${codeName}${output ? `: ${output.split("\n").pop()}` : ""}`;
  return TERMINAL_OCF.has(code)
    ? new TerminalError(`resource ${name}`, text)
    : new RetryableError(`resource ${name}`, text);
}
