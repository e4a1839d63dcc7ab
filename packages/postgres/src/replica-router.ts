import { StorageError } from '@history/core';
import type { NormalizedRange, StoredRecord } from '@history/core/backend';
import type pg from 'pg';
import { parseLsn } from './lsn.js';
import { ReplicaBehindError } from './replica-behind-error.js';
import { type ReplicaReadMetrics, replicaChannel } from './replica-channel.js';
import type { ReplicaConsistency, ReplicaRead } from './replica-options.js';

/** Polls of the replica's replay position while reads wait: doubling from the first to the last. */
const FIRST_POLL_MS = 1;
const LAST_POLL_MS = 25;
/** After a replica error, reads skip it this long, doubling while it keeps failing. */
const FIRST_PAUSE_MS = 1000;
const LAST_PAUSE_MS = 30_000;

export interface ReplicaRouterOptions {
  primary: pg.Pool;
  replica: pg.Pool;
  maxWaitMs: number;
  consistency: ReplicaConsistency;
  reads: ReadonlySet<ReplicaRead>;
  isClosed(): boolean;
}

/** A read the replica serves: waiting on it (the feed's horizon) must end by `deadline`. */
export interface ReplicaRoute {
  deadline: number;
}

type WaitOutcome = { kind: 'replayed' } | { kind: 'lag' } | { kind: 'error'; error: unknown };

interface Waiter {
  target: bigint;
  /** Epoch ms after which a poll that finds the replica short of `target` gives up. */
  soft: number;
  settle(outcome: WaitOutcome): void;
}

/**
 * Sends reads to the replica when it has replayed what they must see, else to the primary.
 * The rule (README "Read replicas"): a read must see every write this store completed before
 * it began (and, with `consistency: 'strong'`, every commit on the primary). The primary's WAL
 * insert position, fetched after those writes, is at or past each of their commit records, so
 * once the replica's replay position reaches it the replica shows them all. That position is
 * fetched once per round of writes (`committed()`), not per read: reads with no write since go
 * straight to the replica once it has been seen past it. A read that would wait longer than
 * `maxWaitMs` reads the primary instead; after that, until the replica catches up, reads check
 * it once without waiting. A replica error sends the read to the primary, and the next reads
 * for a while (1 s, doubling to 30 s while it keeps failing).
 */
export class ReplicaRouter {
  /** Writes completed (and commits notified) so far: each round needs a newer target. */
  private commits = 0;
  private target: { commits: number; lsn: Promise<bigint> } | undefined;
  /** The replica's replay position last seen; -1 when unknown (after an error). */
  private replayed = -1n;
  /** A target a read gave up waiting for: until it is replayed, reads do not wait. */
  private lagging: bigint | undefined;
  private pausedUntil = 0;
  private pauseMs = FIRST_PAUSE_MS;
  private readonly waiters = new Set<Waiter>();
  private polling = false;
  private readonly onPoolError = () => {
    // An idle replica connection dropped: the server may have restarted at an earlier point.
    this.replayed = -1n;
  };

  constructor(private readonly options: ReplicaRouterOptions) {
    options.replica.on('error', this.onPoolError);
  }

  /** A write of this store completed (or may have), or a NOTIFY reported another's commit. */
  committed(): void {
    this.commits++;
  }

  /**
   * Runs `read` on the replica when the rule allows, else on the primary; a replica failure
   * (or a feed held back past the deadline: `ReplicaBehindError`) runs it again on the primary.
   */
  async read<T>(
    operation: ReplicaRead,
    read: (pool: pg.Pool, deadline: number) => Promise<T>,
  ): Promise<T> {
    const route = await this.route(operation);
    if (!route) return read(this.options.primary, Number.POSITIVE_INFINITY);
    try {
      const result = await read(this.options.replica, route.deadline);
      this.pauseMs = FIRST_PAUSE_MS;
      return result;
    } catch (error) {
      if (this.options.isClosed()) throw error;
      this.fellBack(operation, error);
      return read(this.options.primary, Number.POSITIVE_INFINITY);
    }
  }

  /**
   * A stream's pages (`read` on a pool), routed as `read()` routes one query: when the replica
   * fails mid-stream, the rest comes from the primary, after the last seq yielded (the primary
   * is ahead of the replica, so the keyset resumes exactly).
   */
  async *readPages(
    range: NormalizedRange,
    read: (pool: pg.Pool, range: NormalizedRange) => AsyncIterable<StoredRecord[]>,
  ): AsyncGenerator<StoredRecord[]> {
    const route = await this.route('stream');
    if (!route) {
      yield* read(this.options.primary, range);
      return;
    }
    let { after, limit } = range;
    try {
      for await (const page of read(this.options.replica, range)) {
        if (page.length > 0) {
          after = page[page.length - 1]!.seq;
          if (limit !== undefined) limit -= page.length;
        }
        yield page;
      }
      this.pauseMs = FIRST_PAUSE_MS;
      return;
    } catch (error) {
      if (this.options.isClosed()) throw error;
      this.fellBack('stream', error);
    }
    if (limit === 0) return;
    yield* read(this.options.primary, { ...range, after, limit });
  }

  /**
   * Where `operation` reads: a `ReplicaRoute` for the replica, undefined for the primary (also
   * for reads the `reads` option keeps there). Reported on `history:replica` either way.
   */
  async route(operation: ReplicaRead): Promise<ReplicaRoute | undefined> {
    const { reads, maxWaitMs } = this.options;
    if (!reads.has(operation)) return undefined;
    const start = Date.now();
    if (start < this.pausedUntil) {
      this.report(operation, 'primary', 0, 'unavailable');
      return undefined;
    }
    const target = await this.targetLsn();
    const deadline = start + maxWaitMs;
    if (this.replayed >= target) {
      this.report(operation, 'replica', 0);
      return { deadline };
    }
    const outcome = await this.waitFor(
      target,
      this.lagging === undefined ? deadline : start,
      deadline,
    );
    const waitedMs = Date.now() - start;
    if (outcome.kind === 'replayed') {
      this.report(operation, 'replica', waitedMs);
      return { deadline };
    }
    if (outcome.kind === 'lag') {
      if (this.lagging === undefined || target > this.lagging) this.lagging = target;
      this.report(operation, 'primary', waitedMs, 'lag');
    } else {
      this.failed();
      this.report(operation, 'primary', waitedMs, 'error', outcome.error);
    }
    return undefined;
  }

  /** A read routed to the replica failed there with `error` and goes to the primary. */
  fellBack(operation: ReplicaRead, error: unknown): void {
    if (error instanceof ReplicaBehindError) {
      this.report(operation, 'primary', 0, 'lag');
    } else {
      this.failed();
      this.report(operation, 'primary', 0, 'error', error);
    }
  }

  /** Lets waiting reads go (to the primary, which is closing too) and stops polling. */
  close(): void {
    this.options.replica.removeListener('error', this.onPoolError);
    for (const waiter of [...this.waiters]) waiter.settle({ kind: 'lag' });
  }

  /** The position a read must wait for: fetched again only after a write (always if strong). */
  private targetLsn(): Promise<bigint> {
    if (this.options.consistency === 'strong') return this.primaryLsn();
    const commits = this.commits;
    if (this.target?.commits === commits) return this.target.lsn;
    const lsn = this.primaryLsn();
    this.target = { commits, lsn };
    // A failed fetch is not kept: the next read asks again.
    lsn.catch(() => {
      if (this.target?.lsn === lsn) this.target = undefined;
    });
    return lsn;
  }

  /**
   * The insert position, not `pg_current_wal_lsn()` (written): with asynchronous commit a
   * commit is acknowledged before its record is written out, but never before it is inserted.
   */
  private async primaryLsn(): Promise<bigint> {
    const { rows } = await this.options.primary.query<{ lsn: string }>(
      'SELECT pg_current_wal_insert_lsn()::text AS lsn',
    );
    return parseLsn(rows[0]!.lsn);
  }

  private async replicaLsn(): Promise<bigint> {
    const { rows } = await this.options.replica.query<{ lsn: string | null }>(
      'SELECT pg_last_wal_replay_lsn()::text AS lsn',
    );
    const lsn = rows[0]?.lsn;
    if (lsn == null) {
      throw new StorageError(
        'postgres: the replica is not a standby (pg_last_wal_replay_lsn() is NULL)',
      );
    }
    return parseLsn(lsn);
  }

  /**
   * Resolves once the replica is seen at or past `target`, or as `lag` when a poll after
   * `soft` finds it short or at `hard` whatever happens (a replica that does not answer).
   */
  private waitFor(target: bigint, soft: number, hard: number): Promise<WaitOutcome> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        target,
        soft,
        settle: (outcome) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(outcome);
        },
      };
      const timer = setTimeout(() => waiter.settle({ kind: 'lag' }), hard - Date.now());
      this.waiters.add(waiter);
      void this.poll();
    });
  }

  /** One polling loop for every waiting read, while any waits. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (let waitMs = FIRST_POLL_MS; this.waiters.size > 0; ) {
        if (this.options.isClosed()) {
          for (const waiter of [...this.waiters]) waiter.settle({ kind: 'lag' });
          return;
        }
        let replayed: bigint;
        try {
          replayed = await this.replicaLsn();
        } catch (error) {
          for (const waiter of [...this.waiters]) waiter.settle({ kind: 'error', error });
          return;
        }
        this.replayed = replayed;
        this.pauseMs = FIRST_PAUSE_MS;
        if (this.lagging !== undefined && replayed >= this.lagging) this.lagging = undefined;
        const now = Date.now();
        for (const waiter of [...this.waiters]) {
          if (replayed >= waiter.target) waiter.settle({ kind: 'replayed' });
          else if (now >= waiter.soft) waiter.settle({ kind: 'lag' });
        }
        if (this.waiters.size === 0) return;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        waitMs = Math.min(waitMs * 2, LAST_POLL_MS);
      }
    } finally {
      this.polling = false;
    }
  }

  private failed(): void {
    this.replayed = -1n; // a restarted standby may show an earlier point: look again
    this.pausedUntil = Date.now() + this.pauseMs;
    this.pauseMs = Math.min(this.pauseMs * 2, LAST_PAUSE_MS);
  }

  private report(
    operation: ReplicaRead,
    server: ReplicaReadMetrics['server'],
    waitedMs: number,
    reason?: ReplicaReadMetrics['reason'],
    error?: unknown,
  ): void {
    if (!replicaChannel.hasSubscribers) return;
    const metrics: ReplicaReadMetrics = {
      kind: 'replica-read',
      store: 'postgres',
      operation,
      server,
      waitedMs,
      ...(reason === undefined ? {} : { reason }),
      ...(error === undefined ? {} : { error }),
    };
    replicaChannel.publish(metrics);
  }
}
