// The discrete-event engine under the simulator: one logical clock (world time, in ms), a
// queue of timed callbacks ordered by (time, insertion order), and a seeded random source.
// Determinism: simulated promises are resolved ONLY from queued callbacks, and after each
// callback the engine drains the microtask queue (one setImmediate: Node runs every pending
// promise job before the next macrotask), so the agents' async code runs to its next
// simulated wait before the next event. Same seed and events, same run, to the millisecond.

interface Item {
  at: number;
  seq: number;
  fn: () => void;
}

export class Engine {
  now = 0;
  private heap: Item[] = [];
  private seq = 0;

  /** Runs `fn` at world time `at` (never earlier than now). */
  at(at: number, fn: () => void): void {
    this.push({ at: Math.max(at, this.now), seq: this.seq++, fn });
  }

  after(ms: number, fn: () => void): void {
    this.at(this.now + Math.max(0, ms), fn);
  }

  /** Runs every event up to and including `until`, calling `check` after each one. */
  async run(until: number, check: () => void): Promise<void> {
    await drain();
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const it = this.pop();
      this.now = it.at;
      it.fn();
      await drain();
      check();
    }
    this.now = Math.max(this.now, until);
  }

  pending(): number {
    return this.heap.length;
  }

  private push(it: Item): void {
    const h = this.heap;
    h.push(it);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Item {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Item, b: Item): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Lets every pending promise job run (see the header). */
export function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** mulberry32: small, fast, seeded. */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}
