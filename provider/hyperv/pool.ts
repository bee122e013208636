// A small pool of PowerShell shells per connection. Operations that Pulumi runs in parallel get
// their own shell (up to `max`), so a slow command (Enable-ClusterStorageSpacesDirect can take
// many minutes) never makes another operation's deadline run out while it waits, and a shell
// discarded after a timeout is always the timed-out operation's own. Generic over the resource so
// it is unit-tested without processes.

export interface PoolOptions<S> {
  max: number;
  open(): S;
  close(s: S): void;
}

export class Pool<S> {
  private readonly idle: S[] = [];
  private readonly all = new Set<S>();
  private readonly waiters: Array<(s: S) => void> = [];

  constructor(private readonly opts: PoolOptions<S>) {}

  /** An idle shell, a new one, or the next one released; `signal` abandons the wait. */
  acquire(signal?: AbortSignal): Promise<S> {
    const idle = this.idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.all.size < this.opts.max) return Promise.resolve(this.create());
    return new Promise<S>((resolve, reject) => {
      const waiter = (s: S) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(s);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason ?? new Error("aborted while waiting for a PowerShell session"));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Returns a healthy shell for reuse. */
  release(s: S): void {
    if (!this.all.has(s)) return;
    const w = this.waiters.shift();
    if (w) w(s);
    else this.idle.push(s);
  }

  /** Closes a shell that failed or timed out; a waiting operation gets a fresh one. */
  discard(s: S): void {
    if (!this.all.delete(s)) return;
    const i = this.idle.indexOf(s);
    if (i >= 0) this.idle.splice(i, 1);
    this.opts.close(s);
    const w = this.waiters.shift();
    if (w) w(this.create());
  }

  /** Closes every shell (idle or busy). */
  closeAll(): S[] {
    const all = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    for (const s of all) this.opts.close(s);
    return all;
  }

  get size(): number {
    return this.all.size;
  }

  private create(): S {
    const s = this.opts.open();
    this.all.add(s);
    return s;
  }
}
