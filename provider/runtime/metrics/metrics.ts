// Prometheus metrics of one agent (prom-client, own registry) and the /metrics HTTP endpoint.
import * as http from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

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

  constructor(host: string) {
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
