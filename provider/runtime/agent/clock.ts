// The real Clock of the port. The loop's idle sleep ends early when something worth a new
// iteration happens (a lease, election, spec or manager change seen by the watch; a long
// operation finishing), so reaction time is not quantised to the keepalive interval.
import type { Clock } from "../env";

export class WakeableClock implements Clock {
  private waiters = new Set<() => void>();
  private pending = false;

  constructor(private readonly budget: number) {}

  /**
   * Monotonic: the wall time at process start plus the elapsed time since, so an NTP step never
   * moves a deadline (the core measures every safety duration on it).
   */
  now(): number {
    return performance.timeOrigin + performance.now();
  }

  budgetMs(): number {
    return this.budget;
  }

  /**
   * Sleeps `ms`. Sleeps of exactly budgetMs() are the driver waiting for a long operation and
   * are never cut short (see PORT-REQUESTS.md: the port cannot tell the two sleeps apart yet).
   */
  sleep(ms: number): Promise<void> {
    const wakeable = ms !== this.budget;
    if (wakeable && this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      if (wakeable) this.waiters.add(done);
    });
  }

  /** Ends the current idle sleep, or the next one if the loop is busy. */
  wake(): void {
    if (this.waiters.size === 0) {
      this.pending = true;
      return;
    }
    this.pending = false;
    for (const w of [...this.waiters]) w();
  }
}
