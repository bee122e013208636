// The nemesis's recovery verdict (tests/lab/lib/verdict.ts), without a lab. The CI run of
// 2026-12-01 counted two VMs "unrecovered" after an agent kill: every VM still ran at the
// fault's end, the verdict was taken at once, and the failover the kill set off (the lease
// expired 0.35 s later) was then in progress. These cases pin the rule that replaced it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { recoveryJudgeable } from "../../lab/lib/verdict";

const QUIET = 3000;

test("all VMs fine since before the fault: no verdict until QUIET after the fault's end", () => {
  const okSince = 1000;
  const faultEnd = 10000;
  assert.equal(recoveryJudgeable(okSince, faultEnd, faultEnd + 1, QUIET), false);
  assert.equal(recoveryJudgeable(okSince, faultEnd, faultEnd + QUIET, QUIET), false);
  assert.equal(recoveryJudgeable(okSince, faultEnd, faultEnd + QUIET + 1, QUIET), true);
});

test("a VM down after the fault's end (okSince undefined): never judgeable, the wait runs to its deadline", () => {
  assert.equal(recoveryJudgeable(undefined, 10000, 10000 + 60000, QUIET), false);
});

test("recovered after the fault's end: judged QUIET after the recovery, not after the end", () => {
  const faultEnd = 10000;
  const okSince = 14000;
  assert.equal(recoveryJudgeable(okSince, faultEnd, 16000, QUIET), false);
  assert.equal(recoveryJudgeable(okSince, faultEnd, okSince + QUIET + 1, QUIET), true);
});
