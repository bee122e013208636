// The hook queue (hooks/queue.ts): bounded, drop-oldest with a callback, in-order delivery,
// retries with exponential backoff up to a limit, and enqueue() that returns at once even while
// a delivery hangs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoff, HookQueue } from "../../../provider/runtime/hooks/queue";

describe("HookQueue", () => {
  it("delivers in order, one at a time", async () => {
    const got: number[] = [];
    let busy = 0;
    const q = new HookQueue<number>({
      capacity: 10,
      attempts: 1,
      backoffMs: 0,
      maxBackoffMs: 0,
      deliver: async (n) => {
        busy++;
        assert.equal(busy, 1, "one delivery at a time");
        await new Promise((r) => setTimeout(r, 2));
        got.push(n);
        busy--;
      },
    });
    for (let i = 0; i < 5; i++) q.enqueue(i);
    assert.equal(await q.drain(2000), true);
    assert.deepEqual(got, [0, 1, 2, 3, 4]);
  });

  it("a hanging hook does not delay enqueue; a full queue drops the oldest waiting event and says so", async () => {
    let release: () => void = () => undefined;
    const hang = new Promise<void>((r) => {
      release = r;
    });
    const delivered: number[] = [];
    const dropped: Array<[number, number]> = [];
    const q = new HookQueue<number>({
      capacity: 3,
      attempts: 1,
      backoffMs: 0,
      maxBackoffMs: 0,
      deliver: async (n) => {
        if (n === 0) await hang; // the first delivery hangs until released
        delivered.push(n);
      },
      onDropped: (n, waiting) => dropped.push([n, waiting]),
    });
    q.enqueue(0);
    await new Promise((r) => setImmediate(r)); // 0 is now in delivery (hanging)
    const t0 = performance.now();
    for (let i = 1; i <= 1000; i++) q.enqueue(i);
    const ms = performance.now() - t0;
    assert.ok(ms < 50, `1000 enqueues behind a hanging hook took ${ms} ms`);
    assert.equal(q.length, 3);
    assert.equal(dropped.length, 997);
    assert.deepEqual(dropped[0], [1, 3]);
    release();
    assert.equal(await q.drain(2000), true);
    assert.deepEqual(delivered, [0, 998, 999, 1000]);
  });

  it("retries a failing event with exponential backoff, then gives up and goes on with the next", async () => {
    const sleeps: number[] = [];
    const attempts: string[] = [];
    const failed: Array<[string, number, boolean]> = [];
    const sent: Array<[string, number]> = [];
    const q = new HookQueue<string>({
      capacity: 10,
      attempts: 4,
      backoffMs: 100,
      maxBackoffMs: 250,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      deliver: async (s, n) => {
        attempts.push(`${s}${n}`);
        if (s === "bad" || (s === "flaky" && n < 2)) throw new Error(`${s} failed`);
      },
      onAttemptFailed: (s, n, _e, final) => failed.push([s, n, final]),
      onSent: (s, n) => sent.push([s, n]),
    });
    q.enqueue("bad");
    q.enqueue("flaky");
    q.enqueue("good");
    assert.equal(await q.drain(2000), true);
    assert.deepEqual(attempts, ["bad1", "bad2", "bad3", "bad4", "flaky1", "flaky2", "good1"]);
    assert.deepEqual(sleeps, [100, 200, 250, 100]);
    assert.deepEqual(failed.at(3), ["bad", 4, true]);
    assert.deepEqual(
      failed.filter((f) => f[2]).map((f) => f[0]),
      ["bad"],
    );
    assert.deepEqual(sent, [
      ["flaky", 2],
      ["good", 1],
    ]);
  });

  it("backoff doubles from the base and stops at the cap", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => backoff(n, 500, 5000)),
      [500, 1000, 2000, 4000, 5000, 5000],
    );
    assert.equal(backoff(1000, 500, 30000), 30000);
  });

  it("drain gives up at its timeout while a delivery hangs; close drops what waits", async () => {
    const q = new HookQueue<number>({
      capacity: 5,
      attempts: 1,
      backoffMs: 0,
      maxBackoffMs: 0,
      deliver: () => new Promise<void>(() => undefined),
    });
    q.enqueue(1);
    q.enqueue(2);
    assert.equal(await q.drain(30), false);
    q.close();
    assert.equal(q.length, 0);
    q.enqueue(3);
    assert.equal(q.length, 0);
  });
});
