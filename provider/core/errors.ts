// Error types shared by every provider. Retryable and terminal errors are distinct types so the
// retry loop never has to guess from a message (principle 9).

/** A failure worth retrying: a timeout, a dropped connection, a busy server. */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A failure that retrying cannot fix: bad credentials, a missing object, a refused request. */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** One rejected input field, as Pulumi's check() reports it. */
export interface CheckFailure {
  /** Property path in the resource's inputs, e.g. `hosts[1].address`. */
  property: string;
  /** What was wrong and what to do about it. */
  reason: string;
}

/** Raised when inputs are invalid outside check() (for example a create() called directly). */
export class InputError extends TerminalError {
  constructor(
    readonly resource: string,
    readonly failures: CheckFailure[],
  ) {
    super(`${resource}: invalid inputs: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableError) return true;
  if (err instanceof TerminalError) return false;
  // Node's network errors carry a code; these are the transient ones.
  const code = (err as { code?: unknown } | undefined)?.code;
  return (
    typeof code === "string" &&
    ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"].includes(
      code,
    )
  );
}
