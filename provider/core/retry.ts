// Timeouts and bounded retries for every platform call. Pulumi does not honour customTimeouts for
// dynamic providers, so each operation carries its own deadline.
import { errorMessage, isRetryable, RetryableError } from "./errors";

export interface RetryPolicy {
  /** Total attempts including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 250, maxDelayMs: 4000 };

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

/** Runs `fn` with a deadline; the AbortSignal lets the callee stop its own work when it passes. */
export async function withTimeout<T>(
  label: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctl.abort();
      reject(new TimeoutError(label, ms));
    }, ms);
  });
  try {
    return await Promise.race([fn(ctl.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Retries transient failures with exponential backoff. A terminal error fails at once; the last
 * transient one fails as "<label>: after N attempts: <message>".
 */
export async function withRetries<T>(
  label: string,
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
  onRetry?: (attempt: number, err: unknown, delayMs: number) => void,
): Promise<T> {
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetryable(err)) throw err;
      if (attempt >= policy.attempts) {
        throw new RetryableError(`${label}: after ${attempt} attempts: ${errorMessage(err)}`, err);
      }
      onRetry?.(attempt, err, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
