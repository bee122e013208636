// The node-powershell runner (IO edge): a small pool of shells per connection per provider
// process, reused by every operation; each script runs with the operation's deadline. A shell
// that timed out or died is thrown away and the next call starts a fresh one.
import type { ChildProcess } from "node:child_process";
import { PowerShell } from "node-powershell";
import type { z } from "zod";
import { RetryableError, TerminalError } from "../core/errors";
import type { OpContext } from "../core/resource";
import { CONFIG_KEYS, type Connection, connectionFrom, connectionKey } from "./connection";
import { Pool } from "./pool";
import { toError } from "./ps/errors";
import { parseOutput } from "./ps/parse";
import { type Raw, wrap } from "./ps/script";
import { SESSION_VARIABLE, sessionSetup } from "./ps/session-script";

interface Session {
  shell: PowerShell;
  ready: Promise<void>;
  remote: boolean;
}

const pools = new Map<string, Pool<Session>>();

function executable(shell: PowerShell): string {
  return String((shell as unknown as { executable?: unknown }).executable ?? "pwsh");
}

/** The shell's pipes keep Node alive; hold them only while a command runs. */
function setRef(shell: PowerShell, on: boolean): void {
  const proc = (shell as unknown as { process?: ChildProcess }).process;
  const handles = [proc, shell.streams.stdin, shell.streams.stdout, shell.streams.stderr] as Array<
    { ref?(): void; unref?(): void } | undefined
  >;
  for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
}

function open(c: Connection): Session {
  const shell = new PowerShell({
    executable: c.shell,
    pwsh: c.shell === "pwsh",
    executableOptions: { "-NoProfile": true, "-NonInteractive": true },
  });
  const remote = Boolean(c.computerName || c.hostName);
  const ready = invoke(shell, sessionSetup(c), "opening the PowerShell session").then(() => undefined);
  return { shell, ready, remote };
}

async function invoke(shell: PowerShell, command: string, label: string): Promise<string> {
  setRef(shell, true);
  try {
    const r = await shell.invoke(command);
    return r.raw;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === "InvocationError") throw toError(label, e.message ?? "");
    if (/ENOENT/.test(e.message ?? "")) {
      throw new TerminalError(
        `${label}: the PowerShell executable was not found (${executable(shell)}); install PowerShell 7 (pwsh) ` +
          `or Windows PowerShell, or set ${CONFIG_KEYS.shell}`,
      );
    }
    // The shell itself failed (did not start, exited): transient, a new shell may work.
    throw new RetryableError(`${label}: PowerShell process failed: ${e.message ?? String(err)}`, err);
  } finally {
    setRef(shell, false);
  }
}

/** Shells per connection: one per operation running at the same time, up to this many. */
export const MAX_SHELLS = 4;

function poolFor(c: Connection): Pool<Session> {
  const key = connectionKey(c);
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool<Session>({
      max: MAX_SHELLS,
      open: () => open(c),
      close: (s) => {
        // Held while it exits: with every handle unref'd, a caller awaiting the close would see
        // Node's event loop end first (and the test runner report an unsettled promise).
        setRef(s.shell, true);
        s.shell.dispose().catch(() => {});
      },
    });
    pools.set(key, pool);
  }
  return pool;
}

/**
 * Runs one script body and returns its stdout. `label` names the operation and object for error
 * messages, e.g. `create cluster 'HV-Cluster'`. When `signal` aborts (the operation's deadline),
 * only this operation's shell is closed.
 */
export async function runScript(
  c: Connection,
  body: Raw,
  label: string,
  signal?: AbortSignal,
): Promise<string> {
  const pool = poolFor(c);
  const session = await pool.acquire(signal);
  let healthy = true;
  const onAbort = () => {
    healthy = false;
    pool.discard(session);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    try {
      await session.ready;
    } catch (err) {
      healthy = false; // A session that failed to open is never reused.
      throw err;
    }
    return await invoke(session.shell, wrap(body, session.remote ? SESSION_VARIABLE : undefined), label);
  } catch (err) {
    if (err instanceof RetryableError) healthy = false;
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (healthy && !signal?.aborted) pool.release(session);
    else pool.discard(session);
  }
}

/** Closes every shell (tests; the provider process ends with the engine). */
export async function closeSessions(): Promise<void> {
  const all = [...pools.values()].flatMap((p) => p.closeAll());
  pools.clear();
  await Promise.all(
    all.map((s) => {
      setRef(s.shell, true);
      return s.shell.dispose().catch(() => {});
    }),
  );
}

/** A resource operation's view of PowerShell: run + parse, inside ctx.call (deadline, retries). */
export interface Ps {
  readonly connection: Connection;
  /** Runs a script that prints nothing (or whose output is not needed). */
  exec(label: string, body: Raw, timeoutMs?: number): Promise<void>;
  /** Runs a script that prints one JSON line and parses it. */
  query<S extends z.ZodType>(label: string, body: Raw, schema: S, timeoutMs?: number): Promise<z.output<S>>;
}

export function psFor(ctx: OpContext): Ps {
  const connection = connectionFrom(ctx.config);
  return {
    connection,
    async exec(label, body, timeoutMs = 120_000) {
      ctx.progress(label);
      await ctx.call(label, (signal) => runScript(connection, body, label, signal), { timeoutMs });
    },
    async query(label, body, schema, timeoutMs = 120_000) {
      const out = await ctx.call(label, (signal) => runScript(connection, body, label, signal), {
        timeoutMs,
      });
      return parseOutput(label, out, schema);
    },
  };
}
