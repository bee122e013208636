// The Logger of the port: JSON lines through pino on stdout (journald keeps them), the same
// records appended to the cluster's event log in etcd for `vmha events`, and metrics derived
// from the core's `status change A => B` lines.
import pino from "pino";
import type { Logger, LogRecord } from "../env";
import type { AgentMetrics } from "../metrics/metrics";

export type EventSink = (record: LogRecord & { at: string }) => Promise<void>;

const STATUS = /^status change (\S+) => (\S+)/;

export class AgentLogger implements Logger {
  readonly pino: pino.Logger;
  private queue: Array<LogRecord & { at: string }> = [];
  private flushing = false;
  private readonly suspectAt = new Map<string, number>();
  private readonly recovering = new Map<string, number>();

  constructor(
    host: string,
    private readonly metrics: AgentMetrics | undefined,
    private sink?: EventSink,
    level: pino.Level = "info",
  ) {
    this.pino = pino({ level, base: { host }, timestamp: pino.stdTimeFunctions.isoTime });
  }

  setSink(sink: EventSink): void {
    this.sink = sink;
  }

  log(r: LogRecord): void {
    this.pino[r.level]({ subject: r.subject }, r.message);
    this.observe(r);
    if (r.level !== "debug" && this.sink) {
      if (this.queue.length < 1000) this.queue.push({ ...r, at: new Date().toISOString() });
      void this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing || !this.sink) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const rec = this.queue[0]!;
        try {
          await this.sink(rec);
          this.queue.shift();
        } catch {
          return; // store unreachable: keep them, retried with the next record
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * Failover metrics from the core's state changes (counted where they happen: the primary), and
   * the isolation count from the core's isolation line.
   */
  private observe(r: LogRecord): void {
    if (!this.metrics) return;
    // the core logs this once per isolation episode, when the response starts (core/local.ts)
    if (r.subject === "isolation" && r.message.includes("isolation response")) {
      this.metrics.isolations.inc();
      return;
    }
    const m = STATUS.exec(r.message);
    if (!m) return;
    const [, from, to] = m;
    const now = performance.now();
    if (r.subject.startsWith("host ")) {
      const h = r.subject.slice(5);
      if (to === "suspect") this.suspectAt.set(h, now);
    } else if (r.subject.startsWith("resource ")) {
      const name = r.subject.slice(9);
      if (to === "recovering") {
        const t = Math.min(...[...this.suspectAt.values(), now]);
        this.recovering.set(name, t);
      } else if (from === "recovering" || (to === "started" && this.recovering.has(name))) {
        const t0 = this.recovering.get(name);
        if (to === "started" && t0 !== undefined) {
          this.metrics.failovers.inc({ resource: name });
          this.metrics.failoverSeconds.observe((now - t0) / 1000);
          this.recovering.delete(name);
        }
      }
    }
  }
}
