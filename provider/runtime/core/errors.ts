// Errors of the KVM HA runtime. Two families, kept distinct on purpose (principle 9):
// - RetryableError: the same call may succeed later (store blip, fence device timeout, libvirt
//   connection reset). The loop logs it and tries again on a later iteration.
// - TerminalError: retrying the same call cannot help (invalid spec, resource definition
//   missing on a host). The core turns it into a state change (relocate, error) instead.
// Every error names the host or resource it is about.

/** The same operation may succeed if retried later. */
export class RetryableError extends Error {
  readonly retryable = true as const;
  constructor(
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${message}`, options);
    this.name = "RetryableError";
  }
}

/** Retrying the same operation cannot succeed; something must change first. */
export class TerminalError extends Error {
  readonly retryable = false as const;
  constructor(
    readonly subject: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${subject}: ${message}`, options);
    this.name = "TerminalError";
  }
}

/**
 * The coordination store (etcd) cannot be reached, or did not answer within its deadline.
 * Retryable, but with one hard consequence: a primary that sees it steps down at once and
 * decides nothing until a fresh read succeeds (principle 6).
 */
export class StoreUnavailableError extends RetryableError {
  constructor(subject: string, message: string, options?: { cause?: unknown }) {
    super(subject, message, options);
    this.name = "StoreUnavailableError";
  }
}

/**
 * A compare-and-swap lost: the manager state changed since it was read, or this host no longer
 * holds the election. The caller is not (or no longer) the primary for this revision.
 */
export class NotPrimaryError extends RetryableError {
  constructor(subject: string, message: string) {
    super(subject, message);
    this.name = "NotPrimaryError";
  }
}

/** One problem of a cluster spec, in the `{property, reason}` shape of check() failures. */
export interface SpecIssue {
  property: string;
  reason: string;
}

/** A cluster spec that cannot be used (schema, references, timing invariants). Terminal. */
export class SpecError extends TerminalError {
  constructor(
    subject: string,
    readonly issues: SpecIssue[],
  ) {
    super(subject, issues.map((i) => `${i.property}: ${i.reason}`).join("; "));
    this.name = "SpecError";
  }
}

/** The failure of a resource operation (start, stop, monitor, migrate) on a host. */
export type ResourceError = RetryableError | TerminalError;

export function isRetryable(err: unknown): boolean {
  return err instanceof RetryableError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
