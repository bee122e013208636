// Timeouts and bounded retries for every platform call. Pulumi does not honour customTimeouts for
// dynamic providers, so each operation carries its own deadline.
//
// One deadline per operation: `withTimeout` runs its callee inside an AsyncLocalStorage scope
// holding its AbortSignal. Every call made inside (a nested `withTimeout`, a `withRetries` loop,
// however deep) sees that signal: when the operation's deadline passes, the running call is
// aborted, no retry starts and no backoff sleep continues. Without this, a retry loop kept
// running after Pulumi had been told the operation failed (review finding 4: attempts 3 and 4
// of a create started after its deadline), leaving objects outside the state.
import { AsyncLocalStorage } from "node:async_hooks";
import { errorMessage, isRetryable, RetryableError } from "./errors";

export interface RetryPolicy {
  /** Total attempts including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 250, maxDelayMs: 4000 };

/** One attempt only: for platform calls that create or change something (never retried blindly). */
export const ONCE: RetryPolicy = { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 };

export class TimeoutError extends RetryableError {
  constructor(
    readonly label: string,
    readonly ms: number,
  ) {
    super(`${label}: timed out after ${formatMs(ms)}`);
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}

const scope = new AsyncLocalStorage<AbortSignal>();

/** The signal of the innermost deadline around the caller (undefined outside any). */
export function currentSignal(): AbortSignal | undefined {
  return scope.getStore();
}

/** The error an aborted signal carries (a TimeoutError when a deadline passed). */
function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new RetryableError(`aborted: ${String(r)}`);
}

/** Throws when an enclosing deadline has passed: no new work may start after it. */
export function throwIfExpired(signal: AbortSignal | undefined = currentSignal()): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * Runs `fn` with a deadline; the AbortSignal lets the callee stop its own work when it passes.
 * The deadline is also bounded by every enclosing one (`parent`, by default the caller's scope):
 * when that passes first, this call is aborted and fails with the enclosing deadline's error.
 */
export async function withTimeout<T>(
  label: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
  parent: AbortSignal | undefined = currentSignal(),
): Promise<T> {
  throwIfExpired(parent);
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onParentAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TimeoutError(label, ms);
      ctl.abort(err);
      reject(err);
    }, ms);
    if (parent) {
      onParentAbort = () => {
        const err = abortError(parent);
        ctl.abort(err);
        reject(err);
      };
      parent.addEventListener("abort", onParentAbort, { once: true });
    }
  });
  try {
    return await Promise.race([scope.run(ctl.signal, () => fn(ctl.signal)), deadline]);
  } finally {
    clearTimeout(timer);
    if (onParentAbort) parent?.removeEventListener("abort", onParentAbort);
  }
}

/** Sleeps, unless the signal aborts first (then rejects with its error). */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Retries transient failures with exponential backoff. A terminal error fails at once; the last
 * transient one fails as "<label>: after N attempts: <message>". No attempt starts, and no
 * backoff continues, once `signal` (by default the enclosing deadline) has aborted.
 */
export async function withRetries<T>(
  label: string,
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (attempt: number, err: unknown, delayMs: number) => void,
  signal: AbortSignal | undefined = currentSignal(),
): Promise<T> {
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    throwIfExpired(signal);
    try {
      return await fn(attempt);
    } catch (err) {
      throwIfExpired(signal);
      if (!isRetryable(err)) throw err;
      if (attempt >= policy.attempts) {
        if (policy.attempts === 1) throw err;
        throw new RetryableError(`${label}: after ${attempt} attempts: ${errorMessage(err)}`, err);
      }
      onRetry?.(attempt, err, delay);
      await sleep(delay, signal);
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
