// Running external programs (virsh, fence agents, OCF agents) with a deadline. Each child gets
// its own process group so a timeout kills the agent and everything it started.
import { spawn } from "node:child_process";

/**
 * Names of variables a child must not inherit: the agent's own credentials (VMHA_ETCD_PASSWORD
 * and the like) are no business of virsh, fence agents or anything they run in turn.
 */
const SECRET_ENV = /PASSWORD|SECRET|TOKEN/i;

/** The agent's environment without its secrets, plus `extra` (which is trusted as given). */
export function childEnv(
  extra: NodeJS.ProcessEnv = {},
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!SECRET_ENV.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  /** Used as given; without it the child gets childEnv() (never the agent's secrets). */
  env?: NodeJS.ProcessEnv;
  /** Kill the whole process group after this many milliseconds (SIGKILL). */
  timeoutMs?: number;
  cwd?: string;
}

export interface RunResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? childEnv(),
      cwd: opts.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let settled = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killGroup(child.pid);
          }, opts.timeoutMs)
        : undefined;
    const finish = (code: number | null, signal: NodeJS.Signals | null, err?: Error) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (err) stderr += `${err.message}\n`;
      resolve({ code: err ? 127 : code, signal, stdout, stderr, timedOut, ms: performance.now() - t0 });
    };
    child.on("error", (err) => finish(null, null, err));
    child.on("close", (code, signal) => finish(code, signal));
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
}

/** One line that says what failed, for error messages. */
export function describeFailure(cmd: string, r: RunResult): string {
  const how = r.timedOut
    ? `timed out after ${Math.round(r.ms)} ms`
    : r.signal
      ? `killed by ${r.signal}`
      : `exit ${r.code}`;
  const err = (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" | ");
  return `${cmd}: ${how}${err ? `: ${err}` : ""}`;
}
