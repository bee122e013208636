// The shell pool: parallel operations get their own shells up to the limit, then wait in order;
// a discarded shell is only ever the caller's own, and a waiter gets a fresh one in its place.
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Pool } from "../../../provider/hyperv/pool";

function pool(max: number) {
  let n = 0;
  const closed: number[] = [];
  const p = new Pool<number>({ max, open: () => ++n, close: (s) => closed.push(s) });
  return { p, closed };
}

describe("shell pool", () => {
  it("reuses idle shells and opens new ones up to the limit", async () => {
    const { p } = pool(2);
    const a = await p.acquire();
    const b = await p.acquire();
    assert.deepEqual([a, b], [1, 2]);
    p.release(a);
    assert.equal(await p.acquire(), 1);
    assert.equal(p.size, 2);
  });

  it("makes the next operation wait for a release, in order", async () => {
    const { p } = pool(1);
    const a = await p.acquire();
    const order: string[] = [];
    const w1 = p.acquire().then((s) => order.push(`w1:${s}`));
    const w2 = p.acquire().then((s) => order.push(`w2:${s}`));
    p.release(a);
    await w1;
    p.release(1);
    await w2;
    assert.deepEqual(order, ["w1:1", "w2:1"]);
  });

  it("closes only the discarded shell and hands a waiter a fresh one", async () => {
    const { p, closed } = pool(1);
    const a = await p.acquire();
    const waiting = p.acquire();
    p.discard(a);
    assert.deepEqual(closed, [1]);
    assert.equal(await waiting, 2);
    p.discard(a); // twice is harmless
    assert.deepEqual(closed, [1]);
  });

  it("lets an aborted waiter leave the queue without taking a shell", async () => {
    const { p } = pool(1);
    const a = await p.acquire();
    const ctl = new AbortController();
    const gone = p.acquire(ctl.signal);
    ctl.abort(new Error("deadline"));
    await assert.rejects(gone, /deadline/);
    p.release(a);
    assert.equal(await p.acquire(), 1, "the released shell went back to the pool, not to the aborted waiter");
  });
});
