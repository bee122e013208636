import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNKNOWN } from "../../../provider/core/check";
import { computeDiff } from "../../../provider/core/diff";
import { RetryableError, TerminalError } from "../../../provider/core/errors";
import { TimeoutError, withRetries, withTimeout } from "../../../provider/core/retry";

const base = { fields: ["a", "b", "c"], replaceOn: ["a"], ignore: [] as string[], deleteBeforeReplace: true };

describe("computeDiff", () => {
  it("no change when equal (absent and null are the same)", () => {
    const d = computeDiff({ ...base, olds: { a: 1, b: [1, 2], c: null }, news: { a: 1, b: [1, 2] } });
    assert.deepEqual(d, { changes: false, changed: [], replaces: [], deleteBeforeReplace: false });
  });
  it("in-place change for a non-replacing field", () => {
    const d = computeDiff({ ...base, olds: { a: 1, b: { x: 1 } }, news: { a: 1, b: { x: 2 } } });
    assert.deepEqual(d.changed, ["b"]);
    assert.deepEqual(d.replaces, []);
  });
  it("replacement (and delete-before-replace) for a replaceOn field", () => {
    const d = computeDiff({ ...base, olds: { a: 1 }, news: { a: 2 } });
    assert.deepEqual(d.replaces, ["a"]);
    assert.equal(d.deleteBeforeReplace, true);
  });
  it("an unknown value is a change", () => {
    const d = computeDiff({ ...base, olds: { a: 1, b: 2 }, news: { a: 1, b: UNKNOWN } });
    assert.deepEqual(d.changed, ["b"]);
  });
  it("ignored fields are not changes", () => {
    const d = computeDiff({ ...base, ignore: ["c"], olds: { c: "h1" }, news: { c: "h2" } });
    assert.equal(d.changes, false);
  });
});

describe("withRetries / withTimeout", () => {
  const fast = { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 };
  it("retries transient errors and reports the attempt count", async () => {
    let n = 0;
    await assert.rejects(
      withRetries(
        "connect vc",
        async () => {
          n++;
          throw new RetryableError("connection reset");
        },
        fast,
      ),
      /connect vc: after 3 attempts: connection reset/,
    );
    assert.equal(n, 3);
  });
  it("fails at once on a terminal error", async () => {
    let n = 0;
    await assert.rejects(
      withRetries(
        "login",
        async () => {
          n++;
          throw new TerminalError("invalid login");
        },
        fast,
      ),
      /invalid login/,
    );
    assert.equal(n, 1);
  });
  it("succeeds after a transient failure", async () => {
    let n = 0;
    const v = await withRetries(
      "x",
      async () => {
        if (++n < 2) throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
        return 42;
      },
      fast,
    );
    assert.equal(v, 42);
  });
  it("times out and aborts the callee's signal", async () => {
    let aborted = false;
    await assert.rejects(
      withTimeout(
        "slow call",
        20,
        (signal) =>
          new Promise((resolve) => {
            signal.addEventListener("abort", () => {
              aborted = true;
              setTimeout(resolve, 5);
            });
          }),
      ),
      (e: unknown) => e instanceof TimeoutError && /slow call: timed out after 20 ms/.test(e.message),
    );
    assert.equal(aborted, true);
  });
});
