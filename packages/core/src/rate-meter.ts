/**
 * Events per second over a sliding window of recent batches: the
 * `eventsPerSecond` of batch metrics. A ring of (time, events) pairs with a
 * moving head, so dropping old batches costs nothing per batch (an array
 * `shift` is linear in what the window holds, tens of thousands of batches).
 */
export class RateMeter {
  private at: number[] = [];
  private events: number[] = [];
  private head = 0;
  private sum = 0;

  constructor(private readonly windowMs: number) {}

  /** Counts a batch of `events` committed at `now` (ms). */
  record(now: number, events: number): void {
    this.at.push(now);
    this.events.push(events);
    this.sum += events;
    this.trim(now);
  }

  /**
   * The rate at `now`, over the window's batches and the `extraMs` the latest
   * one took to commit (so a single batch has a rate too).
   */
  perSecond(now: number, extraMs: number): number {
    this.trim(now);
    const first = this.head < this.at.length ? this.at[this.head]! : now;
    return (this.sum * 1000) / Math.max(now - first + extraMs, 1);
  }

  /** Forgets batches older than the window, always keeping the latest one. */
  private trim(now: number): void {
    while (this.at.length - this.head > 1 && now - this.at[this.head]! > this.windowMs) {
      this.sum -= this.events[this.head]!;
      this.head++;
    }
    // Compact now and then instead of shifting on every batch.
    if (this.head > 1024 && this.head * 2 > this.at.length) {
      this.at = this.at.slice(this.head);
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }
}
