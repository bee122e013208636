// What libvirt runs on this host, kept in memory from libvirt's own lifecycle events (one
// long-lived `virsh event --loop` process), so the agent's loop reads it without spawning a
// process per iteration (a virsh call costs ~25 ms of CPU). Any event, a restart of the event
// stream and a periodic timer trigger a full `virsh list` so a lost event cannot go unnoticed.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { childEnv } from "../proc/run";
import { type DomainInfo, type DomainState, isActive, type LibvirtDriver } from "./driver";

export interface DomainWatchOptions {
  /** Full re-list at least this often. Default 5000 ms. */
  refreshMs?: number;
  onChange?: (domains: ReadonlyMap<string, DomainInfo>) => void;
  onError?: (err: Error) => void;
}

export class DomainWatch {
  private domains = new Map<string, DomainInfo>();
  private proc: ChildProcessByStdio<null, Readable, Readable> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** True once a full list succeeded and the event stream is up. */
  fresh = false;
  lastError: string | undefined;

  constructor(
    private readonly driver: LibvirtDriver,
    private readonly opts: DomainWatchOptions = {},
  ) {}

  async start(): Promise<void> {
    this.spawnEvents();
    this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs ?? 5000);
    await this.refresh();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.proc?.kill("SIGTERM");
  }

  get(name: string): DomainInfo | undefined {
    return this.domains.get(name);
  }

  state(name: string): DomainState {
    return this.domains.get(name)?.state ?? "absent";
  }

  active(): string[] {
    return [...this.domains.values()].filter((d) => isActive(d.state)).map((d) => d.name);
  }

  /** Re-lists now; concurrent calls share one virsh run (and queue one more if needed). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          const list = await this.driver.list();
          this.domains = new Map(list.map((d) => [d.name, d]));
          this.fresh = true;
          this.lastError = undefined;
          this.opts.onChange?.(this.domains);
        } catch (err) {
          this.fresh = false;
          this.lastError = err instanceof Error ? err.message : String(err);
          this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private spawnEvents(): void {
    if (this.stopped) return;
    const p = spawn(
      this.driver.opts.binary ?? "virsh",
      ["-q", "-c", this.driver.uri, "event", "--loop", "--event", "lifecycle"],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: childEnv({ LC_ALL: "C" }),
      },
    );
    this.proc = p;
    p.stdout.setEncoding("utf8").on("data", () => void this.refresh());
    p.stderr.setEncoding("utf8").on("data", (d: string) => {
      this.lastError = d.trim();
    });
    p.on("error", (err) => this.opts.onError?.(err));
    p.on("close", () => {
      if (this.stopped) return;
      this.fresh = false;
      // libvirtd restarted or went away: re-list and re-subscribe shortly.
      setTimeout(() => {
        this.spawnEvents();
        void this.refresh();
      }, 500).unref();
    });
  }
}
