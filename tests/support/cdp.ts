// A tiny Chrome DevTools Protocol client over Node's global WebSocket (no npm dependency), and a
// headless Chromium launched for it: `--remote-debugging-port=0` in its own profile folder and its
// own process group, its browser endpoint read from the "DevTools listening on ws://..." line of
// its stderr. kill() ends the whole group (by its id) and removes the profile folder.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CHROMIUM_FLAGS } from "./chromium";

export interface CdpEvent {
  method: string;
  params: Record<string, unknown>;
  sessionId?: string;
}

interface Pending {
  method: string;
  resolve(result: Record<string, unknown>): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class Cdp {
  /** Every event received, in order (a test looks for navigations in it, for example). */
  readonly events: CdpEvent[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedBecause: string | undefined;

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener("message", (ev) => this.onMessage(String(ev.data)));
    ws.addEventListener("close", () => this.fail("the DevTools connection closed"));
    ws.addEventListener("error", () => this.fail("the DevTools connection failed"));
  }

  static connect(url: string, timeoutMs = 10000): Promise<Cdp> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => {
        ws.close();
        reject(new Error(`CDP: no connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.addEventListener("open", () => {
        clearTimeout(timer);
        resolve(new Cdp(ws));
      });
      ws.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new Error(`CDP: cannot connect to ${url}`));
      });
    });
  }

  /** Sends a command (to a page's session if sessionId) and resolves to its result. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
    timeoutMs = 10000,
  ): Promise<Record<string, unknown>> {
    if (this.closedBecause) return Promise.reject(new Error(`CDP ${method}: ${this.closedBecause}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`CDP ${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  close(): void {
    this.fail("closed by the test");
    this.ws.close();
  }

  private onMessage(data: string): void {
    const msg = JSON.parse(data) as {
      id?: number;
      result?: Record<string, unknown>;
      error?: { code: number; message: string };
      method?: string;
      params?: Record<string, unknown>;
      sessionId?: string;
    };
    if (msg.id === undefined) {
      if (msg.method)
        this.events.push({
          method: msg.method,
          params: msg.params ?? {},
          ...(msg.sessionId ? { sessionId: msg.sessionId } : {}),
        });
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(new Error(`CDP ${p.method}: ${msg.error.message} (${msg.error.code})`));
    else p.resolve(msg.result ?? {});
  }

  private fail(why: string): void {
    this.closedBecause ??= why;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(`CDP ${p.method}: ${why}`));
      this.pending.delete(id);
    }
  }
}

export interface CdpChromium {
  /** The browser's DevTools endpoint (ws://127.0.0.1:<port>/devtools/browser/<id>). */
  wsUrl: string;
  /** Its stderr so far (for error messages). */
  stderr(): string;
  /** SIGKILLs its process group, waits for it to exit, removes its profile folder. */
  kill(): Promise<void>;
}

export async function launchCdpChromium(bin: string, timeoutMs = 20000): Promise<CdpChromium> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "vmha-chromium-cdp-"));
  const proc: ChildProcess = spawn(
    bin,
    [...CHROMIUM_FLAGS, "--remote-debugging-port=0", `--user-data-dir=${profile}`, "about:blank"],
    { detached: true, stdio: ["ignore", "ignore", "pipe"] }, // detached: its own process group
  );
  let err = "";
  proc.stderr?.setEncoding("utf8");
  proc.stderr?.on("data", (d: string) => {
    err += d;
  });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  let killed = false;
  const kill = async () => {
    if (!killed) {
      killed = true;
      if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) {
        try {
          process.kill(-proc.pid, "SIGKILL");
        } catch {
          // the group is gone already
        }
        await exited;
      }
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    }
  };
  try {
    const wsUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`chromium printed no DevTools endpoint within ${timeoutMs} ms:\n${err}`)),
        timeoutMs,
      );
      const look = () => {
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      proc.stderr?.on("data", look);
      proc.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      proc.once("exit", (code, sig) => {
        clearTimeout(timer);
        reject(new Error(`chromium exited (${code ?? sig}) before printing its DevTools endpoint:\n${err}`));
      });
      look();
    });
    return { wsUrl, stderr: () => err, kill };
  } catch (e) {
    await kill();
    throw e;
  }
}
