// Timing invariants of the failure detector and of self-fencing (principle 5), with the
// arithmetic. Names: K keepaliveIntervalMs, L leaseTtlMs, W watchdogTimeoutMs (the watchdog's
// REAL timeout; an agent whose device is longer does not claim a watchdog), D
// selfFenceDeadlineMs, B isolationBudgetMs, S maxClockSkewMs, G rejoinGraceMs. Every time below is a duration
// on one host's monotonic clock; S covers the rate difference between two clocks, and the
// window in which an etcd leader cut off in a minority still acknowledges renewals after a new
// leader took over (up to about one election timeout: 250 ms with the recommended settings).
//
// Let `a` be the send time of the last renewal the store acknowledged to host X. etcd cannot
// expire X's lease before a + L (it only counts from a renewal it received, sent at >= a). The
// primary sees X's lease key gone at e and frees X's stop/kill resources at e + L + D (counted
// on its own clock from its own observation; the L covers a key deleted while the lease lives,
// seen as early as a, and costs one TTL of recovery time on the self-fence path only: a host
// with a fence device is fenced at once). X must therefore have stopped them by a + L + D - S.
// Three rules make that hold:
//
//   isolation: X stops (B) and kills its stop/kill resources from a + L + D - S - B on, so they
//              are gone by the deadline. Until then a store outage costs nothing: an etcd leader
//              change (no lease can expire without a leader) or a slow member shorter than
//              L + D - S - B (1.7 s at the defaults) never stops a VM. B covers the kill
//              and more: no pet comes during the isolation response (below), so the watchdog
//              may fire as early as one interval after the pet window closed, at
//              a + P - K + W = a + L + D - S - K; B >= K + 400 leaves 400 ms for a destroy.
//   watchdog:  X pets only while now - a < P = L + D - W - S (700 ms at the defaults; or once
//              it runs nothing that must stop), so a hung X is reset by a + P + W = a + L + D - S.
//              P >= 2K: one late ack does not stop the pets.
//   restart:   a host whose lease the store says is gone keeps what runs, starts nothing and
//              takes a new lease at once, still counting the rules above from `a`. etcd can
//              revoke a live lease (a leader frozen past the TTL revokes, on resuming, what the
//              next leader kept renewing: etcd-io/etcd#15247), so the primary waits G
//              (rejoinGraceMs) after its sighting before it begins fencing, and the commit that
//              begins it requires the host's lease key to be absent. The new lease counts only
//              once the host's view holds its lease key bound to it: such a view is at least as
//              new as the put, so it shows a fencing committed before the put, and none can be
//              committed after it while the new lease lives. A view that shows it fencing makes
//              the host kill its stop/kill resources and pet nothing, as before.
//
// Detection: a host with a fence device is fenced G after the primary saw its lease key gone
// (about L + G after its last renewal); D only delays recovery without a device's proof.
import type { SpecIssue } from "./errors";
import type { TimingSpec } from "./spec";

export interface TimingCheck {
  errors: SpecIssue[];
  warnings: SpecIssue[];
}

/** Derived windows, all relative to the send time of the last acknowledged renewal. */
export interface TimingWindows {
  /** The watchdog may be petted while the last ack is younger than this (P). */
  petWindowMs: number;
  /** The isolation response starts once the last ack is this old (L + D - S - B). */
  isolateAfterMs: number;
  /** Everything that must stop is gone by then (L + D - S). */
  deadlineMs: number;
}

export function timingWindows(t: TimingSpec, ttlMs = t.leaseTtlMs): TimingWindows {
  // The lease the store enforces may be shorter or longer than the spec's; etcd counts from
  // the real TTL, so the host must assume the shorter one.
  const l = Math.min(ttlMs, t.leaseTtlMs);
  const deadlineMs = l + t.selfFenceDeadlineMs - t.maxClockSkewMs;
  return {
    petWindowMs: deadlineMs - t.watchdogTimeoutMs,
    isolateAfterMs: deadlineMs - t.isolationBudgetMs,
    deadlineMs,
  };
}

export function checkTiming(t: TimingSpec): TimingCheck {
  const errors: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  const err = (property: string, reason: string) => errors.push({ property: `timing.${property}`, reason });
  const K = t.keepaliveIntervalMs;
  const L = t.leaseTtlMs;
  const W = t.watchdogTimeoutMs;
  const D = t.selfFenceDeadlineMs;
  const B = t.isolationBudgetMs;
  const S = t.maxClockSkewMs;
  if (K <= 0) err("keepaliveIntervalMs", `must be > 0, is ${K}`);
  if (L < 2 * K) {
    err(
      "leaseTtlMs",
      `leaseTtlMs (${L}) must be >= 2 x keepaliveIntervalMs (${K}) = ${2 * K}: one lost keepalive would expire the lease`,
    );
  }
  if (L % 1000 !== 0) {
    err("leaseTtlMs", `leaseTtlMs (${L}) must be whole seconds: etcd grants leases in seconds`);
  }
  const p = L + D - S - W;
  if (p < 2 * K) {
    err(
      "selfFenceDeadlineMs",
      `leaseTtlMs (${L}) + selfFenceDeadlineMs (${D}) - maxClockSkewMs (${S}) - watchdogTimeoutMs (${W}) = ${p} ` +
        `must be >= 2 x keepaliveIntervalMs (${K}) = ${2 * K}: a host may pet its watchdog only that long after ` +
        "its last acknowledged renewal, so a hung host is reset before its resources restart elsewhere; " +
        "raise selfFenceDeadlineMs or lower watchdogTimeoutMs",
    );
  }
  const isolateAfter = L + D - S - B;
  if (isolateAfter < L + K) {
    err(
      "isolationBudgetMs",
      `leaseTtlMs (${L}) + selfFenceDeadlineMs (${D}) - maxClockSkewMs (${S}) - isolationBudgetMs (${B}) = ` +
        `${isolateAfter} must be >= leaseTtlMs + keepaliveIntervalMs = ${L + K}: a host would stop its VMs ` +
        "while its lease is surely alive",
    );
  }
  if (B < K + 400) {
    err(
      "isolationBudgetMs",
      `isolationBudgetMs (${B}) must be >= keepaliveIntervalMs (${K}) + 400 = ${K + 400}: the watchdog may ` +
        "fire one interval before the deadline, and destroying a VM takes 0.2-0.4 s",
    );
  }
  const G = t.rejoinGraceMs;
  if (G > 0 && G < K) {
    err(
      "rejoinGraceMs",
      `rejoinGraceMs (${G}) must be 0 or >= keepaliveIntervalMs (${K}): a healthy host whose lease etcd ` +
        "revoked learns it at its next renewal and then needs a grant and a put to come back",
    );
  }
  if (G === 0) {
    warnings.push({
      property: "timing.rejoinGraceMs",
      reason: "rejoinGraceMs is 0: a lease etcd revokes wrongly (etcd-io/etcd#15247) fences its host at once",
    });
  }
  if (t.fenceTimeoutMs < K) {
    err("fenceTimeoutMs", `fenceTimeoutMs (${t.fenceTimeoutMs}) must be >= keepaliveIntervalMs (${K})`);
  }
  if (W % 1000 !== 0) {
    warnings.push({
      property: "timing.watchdogTimeoutMs",
      reason: `watchdogTimeoutMs (${W}) is not whole seconds: softdog's soft_margin is; an agent whose device times out later than ${W} ms does not claim a watchdog`,
    });
  }
  if (t.fenceTimeoutMs > L + D) {
    warnings.push({
      property: "timing.fenceTimeoutMs",
      reason:
        `fenceTimeoutMs (${t.fenceTimeoutMs}) > leaseTtlMs (${L}) + selfFenceDeadlineMs ` +
        `(${D}): a device this slow never speeds up recovery of stop/kill resources`,
    });
  }
  return { errors, warnings };
}
