// The executable hook: runs the program directly (no shell, so nothing in an event is ever
// interpreted), the JSON event on stdin, VMHA_EVENT_* in a minimal environment (never the
// agent's own: it holds VMHA_ETCD_PASSWORD), killed with its process group at the timeout.
import { spawn } from "node:child_process";
import { eventEnv, type HookEvent } from "./events";

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of what it wrote on stderr (at most STDERR_KEEP bytes). */
  stderr: string;
  ms: number;
  timedOut: boolean;
}

const STDERR_KEEP = 2048;
/** What the hook may rely on besides VMHA_EVENT_*: a PATH for its own children, a locale. */
const BASE_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8" };

export function runExecHook(file: string, event: HookEvent, timeoutMs: number): Promise<ExecResult> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], {
      env: { ...BASE_ENV, ...eventEnv(event) },
      stdio: ["pipe", "ignore", "pipe"],
      shell: false,
      // its own process group, so the timeout kills whatever it started too
      detached: true,
    });
    let stderr = "";
    let timedOut = false;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`hook ${file}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr: stderr.trim(), ms: performance.now() - t0, timedOut });
    });
    // a hook that does not read stdin closes it early: EPIPE is not a failure of the event
    child.stdin.on("error", () => undefined);
    child.stdin.end(`${JSON.stringify(event)}\n`);
  });
}

/** One attempt as the queue wants it: resolves on exit 0, rejects with what went wrong. */
export async function execAttempt(
  file: string,
  event: HookEvent,
  timeoutMs: number,
  log: (level: "info" | "warn", message: string) => void,
): Promise<void> {
  const r = await runExecHook(file, event, timeoutMs);
  const err = r.stderr ? `; stderr: ${r.stderr}` : "";
  const what = r.timedOut
    ? `killed after the ${timeoutMs} ms timeout`
    : r.code !== null
      ? `exit ${r.code}`
      : `killed by ${r.signal}`;
  const line = `hook ${file} for ${event.kind} ${event.id}: ${what} in ${Math.round(r.ms)} ms${err}`;
  if (r.code === 0 && !r.timedOut) {
    log("info", line);
    return;
  }
  throw new Error(line);
}
