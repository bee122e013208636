// Prometheus metrics of one agent (prom-client, own registry) and the /metrics HTTP endpoint.
// The alert rules (deploy/prometheus/vmha-alerts.yml) and the Grafana dashboard
// (deploy/grafana/vmha-dashboard.json) use these names; their tests read them from here.
import * as http from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { toleratedFailures } from "../core/admission";
import { type ClusterSpec, tryParseSpec } from "../core/spec";
import type { LeaseStatus, Store, StoreView } from "../env";

/** The host failures an admission policy promises to absorb (what lost headroom is judged by). */
export function requiredHostFailures(policy: ClusterSpec["admissionControl"]): number {
  switch (policy.policy) {
    case "hostFailures":
      return policy.hostFailures;
    // a reserve or a failover host is there to absorb one host failure (N+1)
    case "percentage":
    case "dedicatedHosts":
      return 1;
    case "disabled":
      return 0;
  }
}

/** Failover headroom of the cluster as one StoreView shows it (the same inputs as the core's). */
export function viewHeadroom(spec: ClusterSpec, view: StoreView): { tolerated: number; required: number } {
  const m = view.manager;
  const leases = new Set(view.leases);
  // the core's eligibleHosts(): online with a live lease
  const hosts = Object.keys(spec.hosts).filter((h) => m?.hosts[h]?.state === "online" && leases.has(h));
  const reserved = { cpu: 0, mem: 0 };
  for (const [r, rs] of Object.entries(spec.resources)) {
    if (!m?.resources[r]?.admitted) continue;
    reserved.cpu += rs.reservation.cpu;
    reserved.mem += rs.reservation.memoryMiB;
  }
  return {
    tolerated: toleratedFailures(spec, hosts, reserved),
    required: requiredHostFailures(spec.admissionControl),
  };
}

export class AgentMetrics {
  readonly registry = new Registry();
  readonly iterations: Counter;
  readonly isPrimary: Gauge;
  readonly hostState: Gauge;
  readonly resourceRunning: Gauge;
  readonly failovers: Counter;
  readonly failoverSeconds: Histogram;
  readonly fenceOps: Counter;
  readonly fenceSeconds: Histogram;
  readonly storeUnreachable: Counter;
  readonly resourceOps: Counter;
  readonly isolations: Counter;
  readonly leaseAckAge: Gauge;
  readonly leaseTtl: Gauge;
  readonly toleratedFailures: Gauge;
  readonly requiredFailures: Gauge;
  readonly resourceState: Gauge;
  readonly hooks: HookMetrics;

  /** Read at scrape time (observeLease); undefined until the agent wires its heartbeat. */
  private lease: { status: () => LeaseStatus; now: () => number } | undefined;
  /** The loop's last successful read (observeStore); cleared when a read fails. */
  private view: StoreView | undefined;
  private spec: { revision: number; spec: ClusterSpec | undefined } | undefined;

  constructor(private readonly host: string) {
    this.registry.setDefaultLabels({ agent_host: host });
    // Event-loop lag sampled every 250 ms, not prom-client's default 10 ms (a wake-up each time).
    collectDefaultMetrics({
      register: this.registry,
      prefix: "vmha_agent_",
      eventLoopMonitoringPrecision: 250,
    });
    const r = [this.registry];
    this.iterations = new Counter({
      name: "vmha_loop_iterations_total",
      help: "Driver loop iterations",
      registers: r,
    });
    this.isPrimary = new Gauge({
      name: "vmha_primary",
      help: "1 when this agent is the primary",
      registers: r,
    });
    this.hostState = new Gauge({
      name: "vmha_host_state",
      help: "1 for the state each host is in, per the last manager state read",
      labelNames: ["host", "state"],
      registers: r,
    });
    this.resourceRunning = new Gauge({
      name: "vmha_resource_running",
      help: "1 when the resource runs on this host",
      labelNames: ["resource"],
      registers: r,
    });
    this.failovers = new Counter({
      name: "vmha_failovers_total",
      help: "Resources recovered after a host failure (counted by the primary)",
      labelNames: ["resource"],
      registers: r,
    });
    this.failoverSeconds = new Histogram({
      name: "vmha_failover_duration_seconds",
      help: "Host lease expiry seen by the primary -> resource assigned to and started on another host",
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
      registers: r,
    });
    this.fenceOps = new Counter({
      name: "vmha_fence_operations_total",
      help: "Fence operations run by this agent, by result",
      labelNames: ["host", "result"],
      registers: r,
    });
    this.fenceSeconds = new Histogram({
      name: "vmha_fence_duration_seconds",
      help: "Fence off + status confirmation",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: r,
    });
    this.storeUnreachable = new Counter({
      name: "vmha_store_unreachable_total",
      help: "Iterations in which the store could not be reached",
      registers: r,
    });
    this.resourceOps = new Counter({
      name: "vmha_resource_operations_total",
      help: "Resource operations (start, stop, migrate) by result",
      labelNames: ["op", "result"],
      registers: r,
    });
    this.isolations = new Counter({
      name: "vmha_isolations_total",
      help: "Isolation responses this agent started (its lease was lost or not acknowledged in time)",
      registers: r,
    });
    this.hooks = new HookMetrics(this.registry);
    // The gauges below are computed when scraped, from the heartbeat and the loop's last read:
    // nothing is spent on them between scrapes.
    const self = this;
    this.leaseAckAge = new Gauge({
      name: "vmha_lease_ack_age_seconds",
      help: "Age of this host's last acknowledged lease renewal (send time), at scrape time; +Inf with no lease",
      registers: r,
      collect() {
        const l = self.lease;
        if (l) this.set((l.now() - l.status().lastAckSentAt) / 1000);
      },
    });
    this.leaseTtl = new Gauge({
      name: "vmha_lease_ttl_seconds",
      help: "TTL the store enforces for this host's lease (0 with no lease)",
      registers: r,
      collect() {
        const l = self.lease;
        if (l) this.set(l.status().id ? l.status().ttlMs / 1000 : 0);
      },
    });
    // Cluster-wide gauges come from the primary only (one copy per cluster, and the resource
    // states of 8000 VMs once, not once per host), from the view of its last successful read.
    this.toleratedFailures = new Gauge({
      name: "vmha_failover_tolerated_host_failures",
      help: "Host failures after which every admitted resource can still be restarted (largest hosts first); primary only",
      labelNames: ["policy"],
      registers: r,
      collect() {
        this.reset();
        const c = self.primaryView();
        if (c) this.set({ policy: c.spec.admissionControl.policy }, viewHeadroom(c.spec, c.view).tolerated);
      },
    });
    this.requiredFailures = new Gauge({
      name: "vmha_admission_required_host_failures",
      help: "Host failures the admission policy promises to absorb (hostFailures: its number; percentage, dedicatedHosts: 1; disabled: 0); primary only",
      labelNames: ["policy"],
      registers: r,
      collect() {
        this.reset();
        const c = self.primaryView();
        if (c)
          this.set({ policy: c.spec.admissionControl.policy }, requiredHostFailures(c.spec.admissionControl));
      },
    });
    this.resourceState = new Gauge({
      name: "vmha_resource_state",
      help: "1 for the state each resource is in, per the manager state; primary only",
      labelNames: ["resource", "state"],
      registers: r,
      collect() {
        this.reset();
        const m = self.primaryView()?.view.manager;
        if (!m) return;
        for (const [name, rec] of Object.entries(m.resources))
          this.set({ resource: name, state: rec.state }, 1);
      },
    });
  }

  /** The scrape-time lease gauges read this heartbeat (`now` on the heartbeat's own clock). */
  observeLease(status: () => LeaseStatus, now: () => number): void {
    this.lease = { status, now };
  }

  /** `store`, remembering each successful read for the scrape-time cluster gauges. */
  observeStore(store: Store): Store {
    return {
      campaign: (eligible) => store.campaign(eligible),
      read: async () => {
        try {
          this.view = await store.read();
        } catch (err) {
          // a stale view must not keep describing the cluster (the primary steps down anyway)
          this.view = undefined;
          throw err;
        }
        return this.view;
      },
      commitManager: (rev, state) => store.commitManager(rev, state),
      report: (r) => store.report(r),
    };
  }

  /** The last view with its parsed spec, when it says this host is the primary. */
  private primaryView(): { view: StoreView; spec: ClusterSpec } | undefined {
    const view = this.view;
    if (!view || view.primary !== this.host) return undefined;
    // parsed once per spec revision: a spec with thousands of domain XMLs is not cheap to parse
    if (this.spec?.revision !== view.specRevision) {
      const r = tryParseSpec(view.spec);
      this.spec = { revision: view.specRevision, spec: r.ok ? r.spec : undefined };
    }
    return this.spec.spec ? { view, spec: this.spec.spec } : undefined;
  }

  /** Serves /metrics on host:port; resolves with the server once listening. */
  serve(listen: string): Promise<http.Server> {
    const i = listen.lastIndexOf(":");
    const addr = i > 0 ? listen.slice(0, i) : "127.0.0.1";
    const port = Number(listen.slice(i + 1));
    const server = http.createServer((req, res) => {
      if (req.url !== "/metrics") {
        res.writeHead(404).end("see /metrics\n");
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": this.registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, addr, () => resolve(server));
    });
  }
}

/**
 * Hook deliveries (provider/runtime/hooks/), per hook (`exec` or `webhook`) and event kind.
 * Its own class so `vmha drill --hook-*` can count on a registry of its own.
 */
export class HookMetrics {
  readonly sent: Counter;
  readonly failed: Counter;
  readonly dropped: Counter;
  readonly attemptsFailed: Counter;

  constructor(registry: Registry) {
    const r = [registry];
    const labelNames = ["hook", "kind"];
    this.sent = new Counter({
      name: "vmha_hook_events_sent_total",
      help: "Hook events delivered (executable exited 0, webhook answered 2xx)",
      labelNames,
      registers: r,
    });
    this.failed = new Counter({
      name: "vmha_hook_events_failed_total",
      help: "Hook events given up on after every attempt failed",
      labelNames,
      registers: r,
    });
    this.dropped = new Counter({
      name: "vmha_hook_events_dropped_total",
      help: "Hook events dropped unsent because the hook's queue was full (oldest first)",
      labelNames,
      registers: r,
    });
    this.attemptsFailed = new Counter({
      name: "vmha_hook_attempts_failed_total",
      help: "Failed hook delivery attempts, retried ones included",
      labelNames,
      registers: r,
    });
  }
}

/** One drill's outcome, as DrillMetrics records it. */
export interface DrillOutcome {
  cluster: string;
  host: string;
  passed: boolean;
  /** When the drill ended (Unix seconds). */
  endedAt: number;
  /** Power-off until the last of the host's resources ran elsewhere; undefined if not all did. */
  recoverySeconds?: number;
}

/**
 * Metrics of one `vmha drill` run. A drill is a batch job, not a scraped process, so
 * `vmha drill --metrics-file` writes these in the text format for node_exporter's textfile
 * collector or for a Pushgateway (curl --data-binary @file); the alert rules' drill alerts use
 * them.
 */
export class DrillMetrics {
  readonly registry = new Registry();
  readonly passed: Gauge;
  readonly lastRun: Gauge;
  readonly recovery: Gauge;

  constructor() {
    const r = [this.registry];
    const labelNames = ["cluster", "host"];
    this.passed = new Gauge({
      name: "vmha_drill_passed",
      help: "1 if the last failover drill of the host passed, 0 if it failed or could not run",
      labelNames,
      registers: r,
    });
    this.lastRun = new Gauge({
      name: "vmha_drill_last_run_timestamp_seconds",
      help: "When the last failover drill of the host ended (Unix time)",
      labelNames,
      registers: r,
    });
    this.recovery = new Gauge({
      name: "vmha_drill_recovery_seconds",
      help: "Last drill: power-off until every resource of the host ran on another host (absent if not all did)",
      labelNames,
      registers: r,
    });
  }

  record(o: DrillOutcome): void {
    const labels = { cluster: o.cluster, host: o.host };
    this.passed.set(labels, o.passed ? 1 : 0);
    this.lastRun.set(labels, o.endedAt);
    if (o.recoverySeconds !== undefined) this.recovery.set(labels, o.recoverySeconds);
  }
}
