import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PurgeResult } from '@history/core';
import type {
  BatchCondition,
  FeedPage,
  FeedPageRequest,
  HistoryBackend,
  NormalizedRange,
  PreparedEnvelope,
  PurgeRequest,
  SessionPageRequest,
  StoredCheckpoint,
  StoredFeedEntry,
  StoredRecord,
  StoredSession,
  WriteOutcome,
} from '@history/core/backend';
import { isTransientSqliteError } from './is-transient.js';
import { isoTimes } from './iso-times.js';
import { SQLITE_DEFAULTS } from './options.js';
import { PURGE_SLICE_BUDGET_MS, purgeSteps } from './sqlite-purger.js';
import { isTaskFailure } from './threads/task-handler.js';
import type { TaskRunner } from './threads/task-runner.js';
import type {
  FeedPageResult,
  PageResult,
  ReadPageTask,
  SessionRow,
  Task,
  TaskResults,
  WriteBatchTask,
} from './threads/tasks.js';

export class SqliteBackend implements HistoryBackend {
  readonly name = 'sqlite';
  private readonly runner: TaskRunner;
  private readonly pageSize: number;
  private readonly pageBytes: number;
  /** Most time a purge slice spends deleting; tests make it 0 (a slice then takes 16 events at most). */
  private readonly purgeSliceMs: number;
  private readonly changeCheckMs: number;
  /** Where the last full feed page ended: a page asked from there continues a catch-up. */
  private feedCatchUp: string | undefined;

  constructor(
    runner: TaskRunner,
    pageSize: number,
    pageBytes: number,
    {
      purgeSliceMs = PURGE_SLICE_BUDGET_MS,
      changeCheckMs = SQLITE_DEFAULTS.changeCheckMs,
    }: { purgeSliceMs?: number; changeCheckMs?: number } = {},
  ) {
    this.runner = runner;
    this.pageSize = pageSize;
    this.pageBytes = pageBytes;
    this.purgeSliceMs = purgeSliceMs;
    this.changeCheckMs = changeCheckMs;
  }

  /**
   * While streams follow: every `changeCheckMs`, one `PRAGMA data_version` on the main
   * thread's connection (microseconds); when it moved, another connection committed (this
   * store's writer thread, another store, another process) and followers read again. The
   * store's own commits on that connection wake followers through core.
   */
  watchCommits(onCommit: () => void): () => void {
    let seen = this.runner.dataVersion();
    const timer = setInterval(() => {
      const now = this.runner.dataVersion();
      if (now !== undefined && now !== seen) {
        seen = now;
        onCommit();
      }
    }, this.changeCheckMs);
    // The followers' own waits keep the process alive while they follow.
    timer.unref();
    return () => clearInterval(timer);
  }

  async writeBatch(
    records: readonly PreparedEnvelope[],
    conditions?: readonly BatchCondition[],
  ): Promise<WriteOutcome[]> {
    const n = records.length;
    const sessionIds = new Array<string>(n);
    const ids = new Array<string>(n);
    const jsons = new Array<string>(n);
    const occurredAtMs = new Float64Array(n);
    const expiresAtMs = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      sessionIds[i] = r.sessionId;
      ids[i] = r.id;
      jsons[i] = r.json;
      occurredAtMs[i] = r.occurredAtMs;
      expiresAtMs[i] = r.expiresAtMs ?? Number.NaN;
    }
    const task: WriteBatchTask = {
      kind: 'writeBatch',
      sessionIds,
      ids,
      occurredAtMs,
      expiresAtMs,
      jsons,
    };
    if (conditions !== undefined && conditions.length > 0) {
      // Triples in a typed array: they cross to the writer thread as one buffer.
      task.conditions = Float64Array.from(
        conditions.flatMap((c) => [c.start, c.count, c.expectedSeq]),
      );
    }
    const result = await this.run('write', task);
    const out = new Array<WriteOutcome>(n);
    for (let i = 0; i < n; i++) {
      out[i] =
        result.conflicts[i] === 1
          ? { conflict: true, id: ids[i]!, sessionId: sessionIds[i]!, actualSeq: result.seqs[i]! }
          : {
              id: ids[i]!,
              sessionId: sessionIds[i]!,
              seq: result.seqs[i]!,
              duplicate: result.duplicates[i] === 1,
            };
    }
    return out;
  }

  async *readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    const backward = range.direction === 'backward';
    let left = range.limit ?? Number.POSITIVE_INFINITY;
    const taskAfter = (after: number | undefined): ReadPageTask => ({
      kind: 'readPage',
      sessionId,
      backward,
      limit: Math.min(left, this.pageSize),
      maxBytes: this.pageBytes,
      ...(after === undefined ? {} : { after }),
      ...(range.fromMs === undefined ? {} : { fromMs: range.fromMs }),
      ...(range.toMs === undefined ? {} : { toMs: range.toMs }),
    });
    let task = taskAfter(range.after);
    // The first page may be served on the main thread (a short session then costs no
    // thread hop); later ones come from reader threads, one prefetched ahead.
    let pending: Promise<PageResult> | undefined = this.run('read', task, true);
    pending.catch(() => {});
    try {
      while (pending) {
        const page = await pending;
        pending = undefined;
        const n = page.seqs.length;
        left -= n;
        // Prefetch: a reader thread fetches the next page while this one is consumed.
        // One page in flight at most, and pages are bounded by bytes: memory stays bounded.
        if (page.more && n > 0 && left > 0) {
          task = taskAfter(page.seqs[n - 1]!);
          pending = this.run('read', task);
          // Handled here too: a consumer may drop the iterator without finishing it.
          pending.catch(() => {});
        }
        if (n > 0) yield this.toRecords(sessionId, page);
      }
    } finally {
      // Leaving early: wait for the prefetch, so no read is still running once the loop is left.
      await pending?.catch(() => {});
    }
  }

  /**
   * Served as stream pages are: a feed's first page, and a follower's reads once caught up,
   * on the main thread's connection when small enough (`inlineReadRows`, 1 MiB); a page that
   * continues a catch-up (asked from where a full page ended) on a reader thread, so a long
   * catch-up never holds the event loop.
   */
  async readFeed({ after, limit }: FeedPageRequest): Promise<FeedPage> {
    const catchingUp = after !== undefined && after === this.feedCatchUp;
    const page = await this.run(
      'read',
      {
        kind: 'readFeed',
        after: after === undefined ? 0 : Number(after),
        limit: Math.min(limit, this.pageSize),
        maxBytes: this.pageBytes,
      },
      !catchingUp,
    );
    const entries = toFeedEntries(page);
    const last = entries.at(-1)?.position;
    if (page.full && last !== undefined) this.feedCatchUp = last;
    return page.skippedTo === undefined
      ? { entries }
      : { entries, position: String(page.skippedTo) };
  }

  /** A rowid as the feed hands it out: canonical decimal, within JavaScript's exact integers. */
  isFeedPosition(position: string): boolean {
    return /^(0|[1-9][0-9]{0,15})$/.test(position) && Number(position) <= Number.MAX_SAFE_INTEGER;
  }

  private toRecords(sessionId: string, page: PageResult): StoredRecord[] {
    const n = page.seqs.length;
    const records = new Array<StoredRecord>(n);
    const iso = isoTimes();
    for (let i = 0; i < n; i++) {
      records[i] = {
        seq: page.seqs[i]!,
        sessionId,
        id: page.ids[i]!,
        json: page.jsons[i]!,
        createdAt: iso(page.createdAtMs[i]!),
      };
    }
    return records;
  }

  async writeCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    await this.run('write', {
      kind: 'writeCheckpoint',
      sessionId: checkpoint.sessionId,
      json: checkpoint.json,
      createdAt: checkpoint.createdAt,
      seq: checkpoint.seq ?? null,
    });
  }

  async readCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    const row = await this.run('read', { kind: 'readCheckpoint', sessionId }, true);
    if (!row) return null;
    return {
      sessionId,
      json: row.json,
      createdAt: row.createdAt,
      ...(row.seq === null ? {} : { seq: row.seq }),
    };
  }

  async listSessions(request: SessionPageRequest): Promise<StoredSession[]> {
    const rows = await this.run(
      'read',
      {
        kind: 'listSessions',
        limit: request.limit,
        ...(request.after === undefined ? {} : { after: request.after }),
        ...(request.prefix === undefined ? {} : { prefix: request.prefix }),
      },
      true,
    );
    return rows.map(toStoredSession);
  }

  async getSession(sessionId: string): Promise<StoredSession | null> {
    const row = await this.run('read', { kind: 'getSession', sessionId }, true);
    return row === null ? null : toStoredSession(row);
  }

  /** On the writer thread (never the main thread's connection): see `SqliteWriter.deleteSession`. */
  async deleteSession(sessionId: string): Promise<{ deletedEvents: number }> {
    const deletedEvents = await this.run('write', { kind: 'deleteSession', sessionId });
    return { deletedEvents };
  }

  /**
   * One chunk: its victims chosen on the writer thread (a read transaction), then removed in
   * slices of a fraction of a millisecond each (`PURGE_SLICE_BUDGET_MS`), on the main thread's
   * connection when it takes them, with the event loop turning between slices. Appends go
   * on between slices on the same connection instead of waiting for a write lock held by
   * another connection for a whole chunk.
   */
  async purgeExpired(request: PurgeRequest): Promise<PurgeResult> {
    const maxEventsPerSession =
      request.maxEventsPerSession === undefined
        ? {}
        : { maxEventsPerSession: request.maxEventsPerSession };
    const { victims, done } = await this.run('write', {
      kind: 'purgeChoose',
      now: request.now,
      limit: request.limit,
      ...(request.maxAgeMs === undefined ? {} : { maxAgeMs: request.maxAgeMs }),
      ...maxEventsPerSession,
    });
    const count = purgeSteps(victims);
    const sessions = new Set<number>();
    let deletedEvents = 0;
    for (let from = 0; from < count; ) {
      if (from > 0) await nextTurn();
      const slice = await this.run('write', {
        kind: 'purgeRemove',
        victims,
        from,
        budgetMs: this.purgeSliceMs,
        ...maxEventsPerSession,
      });
      deletedEvents += slice.deletedEvents;
      for (const sid of slice.sids) sessions.add(sid);
      from = slice.next;
    }
    return { deletedEvents, sessions: sessions.size, done };
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  /** SQLITE_BUSY / SQLITE_LOCKED: another connection held the lock too long; retrying may succeed. */
  isTransient(error: unknown): boolean {
    return isTransientSqliteError(error);
  }

  /**
   * A task's result, or its failure rethrown as better-sqlite3 would have thrown it (the
   * message and the SQLite code survive the trip from a worker thread as data).
   */
  private async run<T extends Task>(
    target: 'write' | 'read',
    task: T,
    short = false,
  ): Promise<TaskResults[T['kind']]> {
    const result = await (target === 'write'
      ? this.runner.write(task)
      : this.runner.read(task, short));
    if (isTaskFailure(result)) {
      throw Object.assign(new Error(result.message), {
        name: 'SqliteError',
        ...(result.code === undefined ? {} : { code: result.code }),
      });
    }
    return result;
  }
}

function toFeedEntries(page: FeedPageResult): StoredFeedEntry[] {
  const n = page.rowids.length;
  const entries = new Array<StoredFeedEntry>(n);
  const iso = isoTimes();
  for (let i = 0; i < n; i++) {
    entries[i] = {
      position: String(page.rowids[i]!),
      seq: page.seqs[i]!,
      sessionId: page.sessions[page.sessionOf[i]!]!,
      id: page.ids[i]!,
      json: page.jsons[i]!,
      createdAt: iso(page.createdAtMs[i]!),
    };
  }
  return entries;
}

function toStoredSession(row: SessionRow): StoredSession {
  return {
    sessionId: row.sessionId,
    lastSeq: row.lastSeq,
    eventCount: row.eventCount,
    createdAt: new Date(row.createdAtMs).toISOString(),
    updatedAt: new Date(row.updatedAtMs).toISOString(),
  };
}
