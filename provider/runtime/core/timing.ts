// Timing invariants of the failure detector and of self-fencing (principle 5). Why they hold:
//
//   agent:    renews its lease every keepaliveIntervalMs (K); pets the watchdog only while its
//             lease is fresh or after it carried out its isolation response; when it has not
//             renewed for leaseTtlMs (L) it stops/kills its resources (isolation response).
//   watchdog: resets the host watchdogTimeoutMs (W) after the last pet.
//   primary:  sees the lease expire no earlier than L after the last renewal, then waits
//             selfFenceDeadlineMs (D) before recovering without a fence confirmation.
//
// The last pet happened no later than the last renewal, so a hung host is reset by
// (expiry - L + W); the primary recovers at (expiry + D) >= (expiry - L + W) + skew iff
// D >= W - L + skew. That is the invariant that makes the self-fence path safe.
import type { SpecIssue } from "./errors";
import type { TimingSpec } from "./spec";

export interface TimingCheck {
  errors: SpecIssue[];
  warnings: SpecIssue[];
}

export function checkTiming(t: TimingSpec): TimingCheck {
  const errors: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  const err = (property: string, reason: string) => errors.push({ property: `timing.${property}`, reason });
  if (t.keepaliveIntervalMs <= 0) err("keepaliveIntervalMs", `must be > 0, is ${t.keepaliveIntervalMs}`);
  if (t.leaseTtlMs < 2 * t.keepaliveIntervalMs) {
    err(
      "leaseTtlMs",
      `leaseTtlMs (${t.leaseTtlMs}) must be >= 2 x keepaliveIntervalMs (${t.keepaliveIntervalMs}) = ` +
        `${2 * t.keepaliveIntervalMs}: one lost keepalive would expire the lease`,
    );
  }
  if (t.watchdogTimeoutMs < t.leaseTtlMs + t.keepaliveIntervalMs) {
    err(
      "watchdogTimeoutMs",
      `watchdogTimeoutMs (${t.watchdogTimeoutMs}) must be >= leaseTtlMs (${t.leaseTtlMs}) + ` +
        `keepaliveIntervalMs (${t.keepaliveIntervalMs}) = ${t.leaseTtlMs + t.keepaliveIntervalMs}: ` +
        "the agent must get to carry out its isolation response before the watchdog resets the host",
    );
  }
  const need = t.watchdogTimeoutMs - t.leaseTtlMs + t.maxClockSkewMs;
  if (t.selfFenceDeadlineMs < need) {
    err(
      "selfFenceDeadlineMs",
      `selfFenceDeadlineMs (${t.selfFenceDeadlineMs}) must be >= watchdogTimeoutMs (${t.watchdogTimeoutMs}) - ` +
        `leaseTtlMs (${t.leaseTtlMs}) + maxClockSkewMs (${t.maxClockSkewMs}) = ${need}: otherwise a hung host ` +
        "could still run its resources when they are restarted elsewhere",
    );
  }
  if (t.fenceTimeoutMs < t.keepaliveIntervalMs) {
    err(
      "fenceTimeoutMs",
      `fenceTimeoutMs (${t.fenceTimeoutMs}) must be >= keepaliveIntervalMs (${t.keepaliveIntervalMs})`,
    );
  }
  if (t.fenceTimeoutMs > t.leaseTtlMs + t.selfFenceDeadlineMs) {
    warnings.push({
      property: "timing.fenceTimeoutMs",
      reason:
        `fenceTimeoutMs (${t.fenceTimeoutMs}) > leaseTtlMs (${t.leaseTtlMs}) + selfFenceDeadlineMs ` +
        `(${t.selfFenceDeadlineMs}): a device this slow never speeds up recovery of stop/kill resources`,
    });
  }
  return { errors, warnings };
}
