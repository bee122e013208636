// One deadline per operation (review finding 4, repro-provider/t2.js): once an operation's deadline
// passes, no attempt of any call inside it starts, and its backoff sleep stops.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RetryableError } from "../../../provider/core/errors";
import { TimeoutError, withRetries, withTimeout } from "../../../provider/core/retry";

describe("an operation's deadline", () => {
  it("stops a call's retries: no attempt starts after the deadline (t2)", async () => {
    const start = Date.now();
    const attempts: number[] = [];
    const call = (fn: (s: AbortSignal) => Promise<never>) =>
      withRetries("platform call", () => withTimeout("platform call", 1000, fn), {
        attempts: 4,
        initialDelayMs: 250,
        maxDelayMs: 4000,
      });
    await assert.rejects(
      withTimeout("kvm:Cluster create", 300, () =>
        call(async () => {
          attempts.push(Date.now() - start);
          throw new RetryableError("etcd unavailable");
        }),
      ),
      (e: unknown) =>
        e instanceof TimeoutError && /kvm:Cluster create: timed out after 300 ms/.test(e.message),
    );
    await new Promise((r) => setTimeout(r, 2000)); // attempts 3 and 4 would have started by now
    assert.equal(attempts.length, 2, `attempts at ${attempts.join(", ")} ms`);
    assert.ok(attempts.every((t) => t < 300));
  });

  it("aborts the running call's own signal when the operation's deadline passes", async () => {
    let aborted: unknown;
    await assert.rejects(
      withTimeout("op", 50, () =>
        withTimeout("call", 10_000, (signal) => {
          return new Promise((_, reject) => {
            signal.addEventListener("abort", () => {
              aborted = signal.reason;
              reject(signal.reason);
            });
          });
        }),
      ),
      /op: timed out after 50 ms/,
    );
    assert.ok(aborted instanceof TimeoutError && aborted.label === "op");
  });

  it("refuses to start a call once the deadline has passed", async () => {
    let ran = 0;
    await assert.rejects(
      withTimeout("op", 20, async () => {
        await new Promise((r) => setTimeout(r, 60));
        await withRetries("late call", async () => {
          ran++;
        });
      }),
      /op: timed out/,
    );
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(ran, 0);
  });
});
