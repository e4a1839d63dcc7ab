import { ClosedError } from './errors/closed-error.js';
import { isExpired } from './expiry.js';
import type { StoredRecord } from './history-backend.js';
import type { HistoryRecord } from './history-store.js';
import { yieldIfDue } from './loop-budget.js';

/**
 * The records of a backend's pages, parsed one at a time as the consumer asks.
 * Hand-written rather than an async generator: a generator awaits every
 * `yield`, several microtask turns per record, which a 1,000-record replay
 * pays a thousand times; here a record already in the page costs one resolved
 * promise. Leaving early (`return()`) or reaching `limit` releases the
 * backend's iterator, so its cursor, connection or file handle is freed.
 * Before each page it lets the event loop turn when it has not for a few
 * milliseconds (`yieldIfDue`), as a backend may serve pages without I/O.
 */
export class RecordIterator<Row extends StoredRecord = StoredRecord, T = HistoryRecord>
  implements AsyncIterableIterator<T>
{
  private pages: AsyncIterator<readonly Row[]> | undefined;
  private page: readonly Row[] = [];
  private index = 0;
  private left: number;
  private finished = false;
  /** A page being fetched: later calls wait for it, as they would on a generator. */
  private fetching: Promise<IteratorResult<T>> | undefined;

  /**
   * `fail` turns the backend's error into the caller's (see `backendFailure`); `wrap` turns
   * a row's record into what is yielded (the feed's entries carry a position).
   */
  constructor(
    private readonly open: () => AsyncIterable<readonly Row[]>,
    limit: number | undefined,
    private readonly isClosed: () => boolean,
    private readonly fail: (error: unknown) => unknown = (error) => error,
    /** True once the consumer's signal aborted: the records left in the page are not yielded. */
    private readonly aborted: () => boolean = () => false,
    private readonly wrap: (record: HistoryRecord, row: Row) => T = (record) =>
      record as unknown as T,
    private readonly operation: 'stream' | 'feed' = 'stream',
  ) {
    this.left = limit ?? Number.POSITIVE_INFINITY;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.fetching) return this.fetching.then(() => this.next());
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    if (this.left <= 0 || this.aborted()) return this.return();
    while (this.index < this.page.length) {
      try {
        const result = this.take();
        if (result) return Promise.resolve(result);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.fetching = this.fetch().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  async return(): Promise<IteratorResult<T>> {
    if (this.fetching) await this.fetching.catch(() => {});
    if (!this.finished) {
      this.finished = true;
      this.page = [];
      await this.pages?.return?.();
    }
    return { done: true, value: undefined };
  }

  /** The next record of the page, or `undefined` when it has expired since the backend read it. */
  private take(): IteratorResult<T> | undefined {
    const row = this.page[this.index++]!;
    const envelope = JSON.parse(row.json);
    if (envelope.ttlMs !== undefined && isExpired(envelope, Date.now())) return undefined;
    this.left--;
    const record: HistoryRecord = {
      id: row.id,
      sessionId: row.sessionId,
      seq: row.seq,
      envelope,
      createdAt: row.createdAt,
    };
    return { done: false, value: this.wrap(record, row) };
  }

  private async fetch(): Promise<IteratorResult<T>> {
    try {
      if (!this.pages) {
        if (this.isClosed()) throw new ClosedError(this.operation);
        this.pages = this.open()[Symbol.asyncIterator]();
      }
      // The consumed page goes before the next is awaited: with the backend's page being
      // read and one prefetched, holding it too would add a third page's worth of memory.
      this.page = [];
      for (;;) {
        await yieldIfDue();
        const next = await this.pages.next();
        if (next.done) {
          this.finished = true;
          return { done: true, value: undefined };
        }
        this.page = next.value;
        this.index = 0;
        while (this.index < this.page.length) {
          const result = this.take();
          if (result) return result;
        }
      }
    } catch (error) {
      // The backend's iterator failed (or never opened): nothing left to release.
      this.finished = true;
      this.page = [];
      throw this.fail(error);
    }
  }
}
