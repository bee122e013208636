// The node-powershell runner (IO edge): a small pool of shells per connection per provider
// process, reused by every operation; each script runs with the operation's deadline. A shell
// that timed out or died is thrown away and the next call starts a fresh one.
import type { ChildProcess } from "node:child_process";
import { PowerShell } from "node-powershell";
import type { z } from "zod";
import { errorMessage, isRetryable, RetryableError, TerminalError } from "../core/errors";
import type { OpContext } from "../core/resource";
import { ONCE, type RetryPolicy } from "../core/retry";
import { CONFIG_KEYS, type Connection, connectionFrom, connectionKey } from "./connection";
import { Pool } from "./pool";
import { toError } from "./ps/errors";
import { parseOutput } from "./ps/parse";
import { type Raw, secretEnv, wrap } from "./ps/script";
import {
  LANGUAGE_MODE_KEY,
  PASSWORD_ENV,
  REMOTE_LANGUAGE_MODE_KEY,
  SESSION_VARIABLE,
  sessionSetup,
} from "./ps/session-script";

/** The script never reached a shell (the shell or its session failed to start): safe to retry. */
export class NotSentError extends RetryableError {}

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

/** PSLanguageMode's values, as ConvertTo-Json writes the enum. */
const LANGUAGE_MODES: Readonly<Record<number, string>> = {
  0: "FullLanguage",
  1: "RestrictedLanguage",
  2: "NoLanguage",
  3: "ConstrainedLanguage",
};

/** A mode as printed: its number, its name, or (5.1, deserialized from a remote) `{ value: … }`. */
function modeName(v: unknown): string | undefined {
  const inner = v && typeof v === "object" && "value" in v ? (v as { value: unknown }).value : v;
  if (typeof inner === "number") return LANGUAGE_MODES[inner] ?? `mode ${inner}`;
  if (typeof inner === "string") return inner;
  return undefined;
}

/**
 * The error for a shell (or remote node) whose PowerShell does not run in FullLanguage mode, read
 * from the set-up's output; undefined when every mode printed so far is FullLanguage (review
 * finding 16: ConstrainedLanguage mode, enforced by AppLocker/WDAC, forbids what every vmha script
 * and node-powershell itself do, and nothing said so).
 */
export function languageModeProblem(out: string, c: Connection): TerminalError | undefined {
  for (const line of out.split(/\r?\n/)) {
    const t = line.trim();
    if (!t.startsWith("{") || !t.includes("LanguageMode")) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(t) as Record<string, unknown>;
    } catch {
      continue;
    }
    const remote = REMOTE_LANGUAGE_MODE_KEY in o;
    const mode = modeName(o[remote ? REMOTE_LANGUAGE_MODE_KEY : LANGUAGE_MODE_KEY]);
    if (mode === undefined || mode === "FullLanguage") continue;
    const node = c.computerName ?? c.hostName ?? "";
    const where = remote
      ? `the remoting session on ${node}`
      : `the local shell (${c.shell}${node ? `, which opens the session to ${node}` : ""})`;
    const remedy = remote
      ? `allow the PowerShell that remoting runs on ${node} in that node's application control policy, or set ${CONFIG_KEYS.computerName} / ${CONFIG_KEYS.hostName} to a node that does not enforce one`
      : `run vmha on a machine whose PowerShell runs in FullLanguage mode (allow ${c.shell} in its application control policy, or use a management host without one) and reach the nodes with remoting (${CONFIG_KEYS.computerName})`;
    return new TerminalError(
      `opening the PowerShell session: PowerShell in ${where} runs in ${mode} mode (an AppLocker or WDAC ` +
        "application control policy enforces it). vmha cannot work in it: its scripts decode values and set " +
        "cluster properties with .NET calls and property assignments that mode forbids (and node-powershell writes " +
        `its own markers with [Console]). What to do: ${remedy}. See provider/hyperv/README.md, "Constrained Language Mode"`,
    );
  }
  return undefined;
}

/**
 * Runs the session set-up and checks the language modes it prints. A local shell in
 * ConstrainedLanguage mode never answers node-powershell (its end markers are [Console] calls),
 * so its output is watched as it arrives instead of waiting for an answer that never comes.
 */
function setUp(shell: PowerShell, c: Connection): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let seen = "";
    const stdout = shell.streams.stdout;
    const watch = (d: Buffer | string) => {
      seen += d.toString();
      const problem = languageModeProblem(seen, c);
      if (problem) finish(problem);
    };
    const finish = (err?: unknown) => {
      stdout.removeListener("data", watch);
      if (err) reject(err);
      else resolve();
    };
    stdout.on("data", watch);
    invoke(shell, sessionSetup(c), "opening the PowerShell session").then(
      (out) => finish(languageModeProblem(out, c)),
      (err: unknown) => finish(err),
    );
  });
}

/**
 * A process environment cannot carry a NUL character, and Node's error for one quotes the value
 * (review t5: a password echoed). Refused here, naming where the value came from, never showing it.
 */
function assertEnvSafe(c: Connection, secrets: Readonly<Record<string, string>>): void {
  const values: Array<[string, string | undefined]> = [
    [`${CONFIG_KEYS.password} (or VMHA_HYPERV_PASSWORD)`, c.password],
    ...Object.entries(secrets).map(([k, v]): [string, string] => [`the secret ${k}`, v]),
  ];
  for (const [where, v] of values) {
    if (v?.includes("\u0000"))
      throw new TerminalError(
        `${where} holds a NUL character, which cannot be passed to PowerShell (value not shown); remove that character`,
      );
  }
}

/** Secrets reach the shell through its environment, never through the script text. */
function open(c: Connection, secrets: Readonly<Record<string, string>> = {}): Session {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (c.password) env[PASSWORD_ENV] = c.password;
  for (const [k, v] of Object.entries(secrets)) env[secretEnv(k)] = v;
  const shell = new PowerShell({
    executable: c.shell,
    pwsh: c.shell === "pwsh",
    executableOptions: { "-NoProfile": true, "-NonInteractive": true },
    spawnOptions: { env },
  });
  const remote = Boolean(c.computerName || c.hostName);
  const ready = setUp(shell, c);
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
  secrets?: Readonly<Record<string, string>>,
): Promise<string> {
  // Before any shell starts (and before a pool's shell for these settings does).
  assertEnvSafe(c, secrets ?? {});
  if (secrets && Object.keys(secrets).length) return runWithSecrets(c, body, label, secrets, signal);
  const pool = poolFor(c);
  const session = await pool.acquire(signal);
  let healthy = true;
  const onAbort = () => {
    healthy = false;
    pool.discard(session);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await opened(session, () => {
      healthy = false; // A session that failed to open is never reused.
    });
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

/** Waits for a session to open; a transient failure there means nothing was sent. */
async function opened(session: Session, onFail: () => void): Promise<void> {
  try {
    await session.ready;
  } catch (err) {
    onFail();
    if (err instanceof RetryableError) throw new NotSentError(err.message, err);
    throw err;
  }
}

/**
 * A script that needs secrets runs in a shell of its own, started with them in its environment
 * and closed afterwards (a pooled shell's environment is fixed when it starts). Rare: only the
 * cloud witness key today.
 */
async function runWithSecrets(
  c: Connection,
  body: Raw,
  label: string,
  secrets: Readonly<Record<string, string>>,
  signal?: AbortSignal,
): Promise<string> {
  const session = open(c, secrets);
  const close = () => {
    setRef(session.shell, true);
    session.shell.dispose().catch(() => {});
  };
  signal?.addEventListener("abort", close, { once: true });
  try {
    await opened(session, () => {});
    const names = Object.keys(secrets);
    return await invoke(
      session.shell,
      wrap(body, session.remote ? SESSION_VARIABLE : undefined, names),
      label,
    );
  } finally {
    signal?.removeEventListener("abort", close);
    close();
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

export interface ExecOptions {
  /** This call's deadline (bounded by the operation's own). Default 2 min. */
  timeoutMs?: number;
  /**
   * A script that only sets values (running it twice changes nothing more): retried like a read.
   * Anything that creates, adds, enables or removes is not, and runs at most once.
   */
  idempotent?: boolean;
  /**
   * After a timeout or a lost reply: reads the platform and says whether the command took effect.
   * When it did, the operation continues as if the reply had arrived.
   */
  verify?: () => Promise<boolean>;
  /** What the user should do if the command's outcome stays unknown (e.g. "set adopt: true"). */
  ifUnknown?: string;
  /** Secret values the body reads as `secret(name)`; never part of the script text. */
  secrets?: Readonly<Record<string, string>>;
}

/** A resource operation's view of PowerShell: run + parse, inside ctx.call (deadline, retries). */
export interface Ps {
  readonly connection: Connection;
  /**
   * Runs a script that changes something and prints nothing. It is never retried blindly: only a
   * failure before the script was sent is retried; after a timeout or lost reply `verify` reads
   * the platform to learn whether it happened.
   */
  exec(label: string, body: Raw, opts?: ExecOptions): Promise<void>;
  /**
   * Runs a script that prints one JSON line and parses it (reads: retried on transient errors,
   * unless `retry` says otherwise).
   */
  query<S extends z.ZodType>(
    label: string,
    body: Raw,
    schema: S,
    timeoutMs?: number,
    retry?: RetryPolicy,
  ): Promise<z.output<S>>;
}

/** Attempts for a script that never reached a shell (a shell or session that failed to start). */
const NOT_SENT_ATTEMPTS = 3;

/** The reply was lost or late: the command may have run (or may still be running on the node). */
function ambiguous(err: unknown): boolean {
  return isRetryable(err) && !(err instanceof NotSentError);
}

export function psFor(ctx: OpContext): Ps {
  const connection = connectionFrom(ctx.config);
  const once = async (label: string, body: Raw, o: ExecOptions) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await ctx.call(label, (signal) => runScript(connection, body, label, signal, o.secrets), {
          timeoutMs: o.timeoutMs ?? 120_000,
          retry: ONCE,
        });
        return;
      } catch (err) {
        if (err instanceof NotSentError && attempt < NOT_SENT_ATTEMPTS && !ctx.signal.aborted) continue;
        throw err;
      }
    }
  };
  // The cause without the label repeated, on one line.
  const cause = (label: string, err: unknown) =>
    errorMessage(err).replace(`${label}: `, "").replace(/\s+/g, " ").trim();
  const unknownOutcome = (label: string, err: unknown, o: ExecOptions, why: string) =>
    new TerminalError(
      `${label}: no reply (${cause(label, err)}); ${why}. vmha did not send it again: the command may ` +
        `have run, or may still be running on the node. Check the cluster, then run pulumi up again` +
        (o.ifUnknown ? ` (${o.ifUnknown})` : ""),
      err,
    );
  return {
    connection,
    async exec(label, body, o = {}) {
      ctx.progress(label);
      if (o.idempotent) {
        await ctx.call(label, (signal) => runScript(connection, body, label, signal, o.secrets), {
          timeoutMs: o.timeoutMs ?? 120_000,
        });
        return;
      }
      try {
        await once(label, body, o);
      } catch (err) {
        if (!ambiguous(err)) throw err;
        if (!o.verify) throw unknownOutcome(label, err, o, "there is no way to read whether it happened");
        if (ctx.signal.aborted) throw unknownOutcome(label, err, o, "the operation's deadline has passed");
        ctx.progress(
          `${label}: no reply (${cause(label, err)}); reading the cluster to learn whether it happened`,
        );
        if (await o.verify()) {
          ctx.progress(`${label}: it did; continuing`);
          return;
        }
        throw unknownOutcome(label, err, o, "the cluster does not show its result yet");
      }
    },
    async query(label, body, schema, timeoutMs = 120_000, retry) {
      const out = await ctx.call(label, (signal) => runScript(connection, body, label, signal), {
        timeoutMs,
        ...(retry ? { retry } : {}),
      });
      return parseOutput(label, out, schema);
    },
  };
}
