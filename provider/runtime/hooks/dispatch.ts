// The hooks of one process (an agent or `vmha drill`): one bounded queue per configured hook
// (a dead webhook must not hold up the executable, nor the reverse), metrics and log lines for
// every outcome, and a dedupe of event ids so one state change is never queued twice by this
// process. emit() never waits.
import type { HookMetrics } from "../metrics/metrics";
import type { HookConfig } from "./config";
import { readTokenFile } from "./config";
import type { HookEvent } from "./events";
import { execAttempt } from "./exec";
import { HookQueue } from "./queue";
import { postWebhook, redact } from "./webhook";

export type HookLog = (level: "info" | "warn" | "error", message: string) => void;

/** Ids remembered for the dedupe (a few days of events; older ones cannot recur anyway). */
const SEEN_MAX = 10000;

export class Hooks {
  private readonly queues: Array<{ name: "exec" | "webhook"; queue: HookQueue<HookEvent> }> = [];
  private readonly seen = new Set<string>();
  private readonly what: string[] = [];

  constructor(
    cfg: HookConfig,
    private readonly log: HookLog,
    private metrics: HookMetrics | undefined,
    opts: { sleep?: (ms: number) => Promise<void> } = {},
  ) {
    const common = {
      capacity: cfg.queue,
      attempts: cfg.attempts,
      backoffMs: cfg.backoffMs,
      maxBackoffMs: cfg.maxBackoffMs,
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    };
    if (cfg.exec) {
      const file = cfg.exec;
      this.what.push(`exec ${file}`);
      this.queues.push({
        name: "exec",
        queue: new HookQueue<HookEvent>({
          ...common,
          ...this.callbacks("exec", file),
          deliver: (e) => execAttempt(file, e, cfg.timeoutMs, (level, m) => this.log(level, m)),
        }),
      });
    }
    if (cfg.url) {
      // read once at start: a bad file is a start-up error naming it, not a failure per event
      const token = cfg.tokenFile ? readTokenFile(cfg.tokenFile) : undefined;
      this.what.push(`webhook ${redact(cfg.url)}${token ? " (bearer token)" : ""}`);
      const o = { url: cfg.url, timeoutMs: cfg.timeoutMs, ...(token ? { token } : {}) };
      this.queues.push({
        name: "webhook",
        queue: new HookQueue<HookEvent>({
          ...common,
          ...this.callbacks("webhook", redact(cfg.url)),
          deliver: async (e) => {
            await postWebhook(o, e);
          },
        }),
      });
    }
  }

  /** Counts from now on into these metrics (the agent's registry exists after the hooks). */
  useMetrics(m: HookMetrics): void {
    this.metrics = m;
  }

  /** For the start-up line: which hooks, never the token. */
  describe(): string {
    return this.what.length ? this.what.join(", ") : "none";
  }

  /** Any hook configured. */
  get enabled(): boolean {
    return this.queues.length > 0;
  }

  /** Queues the event on every hook, unless this process queued its id already. */
  emit(event: HookEvent): void {
    if (this.queues.length === 0 || this.seen.has(event.id)) return;
    this.seen.add(event.id);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value as string);
    for (const q of this.queues) q.queue.enqueue(event);
  }

  /** Waits (at most timeoutMs) until every queued event was delivered or given up. */
  async drain(timeoutMs: number): Promise<boolean> {
    const r = await Promise.all(this.queues.map((q) => q.queue.drain(timeoutMs)));
    return r.every(Boolean);
  }

  close(): void {
    for (const q of this.queues) q.queue.close();
  }

  private callbacks(hook: "exec" | "webhook", what: string) {
    const labels = (e: HookEvent) => ({ hook, kind: e.kind });
    return {
      onSent: (e: HookEvent, attempt: number) => {
        this.metrics?.sent.inc(labels(e));
        // the executable's own line (exit code, stderr) was logged by execAttempt
        if (hook === "webhook")
          this.log(
            "info",
            `hook ${what}: ${e.kind} ${e.id} delivered${attempt > 1 ? ` (attempt ${attempt})` : ""}`,
          );
      },
      onAttemptFailed: (e: HookEvent, attempt: number, err: unknown, final: boolean) => {
        this.metrics?.attemptsFailed.inc(labels(e));
        if (final) this.metrics?.failed.inc(labels(e));
        const msg = err instanceof Error ? err.message : String(err);
        this.log(
          final ? "error" : "warn",
          `${msg} (attempt ${attempt}${final ? ", giving up on this event" : ", retrying"})`,
        );
      },
      onDropped: (e: HookEvent, waiting: number) => {
        this.metrics?.dropped.inc(labels(e));
        this.log(
          "warn",
          `hook ${what}: queue full (${waiting} waiting): dropped ${e.kind} ${e.id}, the oldest`,
        );
      },
    };
  }
}
