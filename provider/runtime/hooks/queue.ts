// A bounded delivery queue for one hook: enqueue() is synchronous and never waits (the agent's
// loop and heartbeat must never be held up by a slow or dead hook); one worker delivers events in
// order, retrying each with exponential backoff up to `attempts`; when full, the oldest waiting
// event is dropped and counted. Order matters to operators (fence before failover), so delivery
// is one at a time: a failing event delays the ones after it by at most its retries.

export interface QueueOptions<T> {
  /** Events that may wait (the one being delivered is not counted). */
  capacity: number;
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** One attempt; rejects on failure (it must bound its own duration: a timeout). */
  deliver(item: T, attempt: number): Promise<void>;
  onSent?(item: T, attempt: number): void;
  /** An attempt failed; `final` when it was the last one and the event is given up. */
  onAttemptFailed?(item: T, attempt: number, err: unknown, final: boolean): void;
  onDropped?(item: T, waiting: number): void;
  /** Injected for tests; setTimeout (unref'd: a retry never keeps the process alive) by default. */
  sleep?(ms: number): Promise<void>;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export class HookQueue<T> {
  private readonly waiting: T[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly o: QueueOptions<T>) {}

  /** Events waiting (not counting one in delivery). */
  get length(): number {
    return this.waiting.length;
  }

  /** Adds an event; drops the oldest waiting one when full. Returns at once. */
  enqueue(item: T): void {
    if (this.closed) return;
    this.waiting.push(item);
    while (this.waiting.length > this.o.capacity) {
      const old = this.waiting.shift()!;
      this.o.onDropped?.(old, this.waiting.length);
    }
    // started on a later tick, so not even the first attempt's synchronous part runs in enqueue
    if (!this.running) this.running = Promise.resolve().then(() => this.work());
  }

  /** Resolves when everything queued so far was delivered or given up, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = (async () => {
      while (this.running) await this.running;
      return true as const;
    })();
    try {
      return await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops taking events; what is waiting is not delivered any more. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
  }

  private async work(): Promise<void> {
    try {
      for (let item = this.waiting.shift(); item !== undefined; item = this.waiting.shift()) {
        await this.deliverOne(item);
        if (this.closed) break;
      }
    } finally {
      this.running = undefined;
    }
  }

  private async deliverOne(item: T): Promise<void> {
    const sleep = this.o.sleep ?? defaultSleep;
    for (let attempt = 1; attempt <= this.o.attempts; attempt++) {
      try {
        await this.o.deliver(item, attempt);
        this.o.onSent?.(item, attempt);
        return;
      } catch (err) {
        const final = attempt === this.o.attempts;
        this.o.onAttemptFailed?.(item, attempt, err, final);
        if (final || this.closed) return;
        await sleep(backoff(attempt, this.o.backoffMs, this.o.maxBackoffMs));
      }
    }
  }
}

/** Wait after failed attempt n (1-based): base, 2 x base, 4 x base, ... capped. */
export function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
}
