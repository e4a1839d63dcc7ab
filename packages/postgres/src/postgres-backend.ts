import { type PurgeResult, StorageError } from '@history/core';
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
  StoredRecord,
  StoredSession,
  WriteOutcome,
} from '@history/core/backend';
import type pg from 'pg';
import { commitChannel } from './commit-channel.js';
import { CommitListener, LISTENER_APPLICATION_NAME } from './commit-listener.js';
import { CommitNotifier } from './commit-notifier.js';
import { deleteSession } from './delete-session.js';
import { isFeedPosition } from './feed-position.js';
import { isTransientPgError } from './is-transient.js';
import { clientLike } from './pg-connection.js';
import { readPages } from './postgres-reader.js';
import { PostgresWriter } from './postgres-writer.js';
import { purgeExpired } from './purge-expired.js';
import { readFeed } from './read-feed.js';
import type { ReplicaConsistency, ReplicaRead } from './replica-options.js';
import { ReplicaRouter } from './replica-router.js';
import { getSession, listSessions } from './session-rows.js';
import { SessionStatements } from './session-statements.js';
import { Statements } from './statements.js';

export interface PostgresBackendOptions {
  pool: pg.Pool;
  /** End the pool on close: true only for a pool the store created. */
  ownsPool: boolean;
  schema: string;
  copyThreshold: number;
  pageSize: number;
  pageBytes: number;
  /** NOTIFY after each batch and LISTEN while followed (see `commit-listener.ts`). */
  notify: boolean;
  /** `'transaction'`: behind a transaction pooler, no prepared statements, LISTEN only on `listenConnectionString`. Default `'session'`. */
  poolMode?: 'session' | 'transaction' | undefined;
  /** Where the listener connects, if not where the pool does. */
  listenConnectionString?: string | undefined;
  /** A hot standby serving `reads` (see `replica-router.ts`). */
  replicaReads?: ReplicaBackendOptions | undefined;
}

export interface ReplicaBackendOptions {
  pool: pg.Pool;
  /** End the pool on close: true only for a pool the store created. */
  ownsPool: boolean;
  maxWaitMs: number;
  consistency: ReplicaConsistency;
  reads: ReadonlySet<ReplicaRead>;
}

export class PostgresBackend implements HistoryBackend {
  readonly name = 'postgres';
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly sql: Statements;
  private readonly sessions: SessionStatements;
  private readonly writer: PostgresWriter;
  private readonly pageSize: number;
  private readonly pageBytes: number;
  private readonly feedReads = new Set<Promise<FeedPage>>();
  private readonly notifier: CommitNotifier | undefined;
  private readonly listener: CommitListener | undefined;
  private readonly replica: ReplicaBackendOptions | undefined;
  private readonly router: ReplicaRouter | undefined;
  private closed = false;
  /** Present with `notify`: core runs it while some stream or feed follows. */
  readonly watchCommits?: (onCommit: () => void) => () => void;

  constructor(options: PostgresBackendOptions) {
    this.pool = options.pool;
    this.ownsPool = options.ownsPool;
    // Through a transaction pooler, a statement prepared on one server connection is unknown on the next.
    const pooled = options.poolMode === 'transaction';
    this.sql = new Statements(options.schema, !pooled);
    this.sessions = new SessionStatements(options.schema, !pooled);
    this.writer = new PostgresWriter(options.pool, this.sql, this.sessions, options.copyThreshold);
    this.pageSize = options.pageSize;
    this.pageBytes = options.pageBytes;
    const replica = options.replicaReads;
    this.replica = replica;
    const router =
      replica &&
      new ReplicaRouter({
        ...replica,
        primary: options.pool,
        replica: replica.pool,
        isClosed: () => this.closed,
      });
    this.router = router;
    if (options.notify) {
      const channel = commitChannel(options.schema);
      this.notifier = new CommitNotifier(options.pool, channel);
      // LISTEN and its advisory lock hold a session: through a transaction pooler they would
      // stay on whichever server connection ran them. Without a direct connection, followers poll.
      const { listenConnectionString } = options;
      if (!pooled || listenConnectionString !== undefined) {
        const listener = new CommitListener(
          () => clientLike(options.pool, LISTENER_APPLICATION_NAME, listenConnectionString),
          channel,
        );
        this.listener = listener;
        // Another store's commit: a follower it wakes must find it on the replica too.
        this.watchCommits = (onCommit) =>
          listener.watch(
            router
              ? () => {
                  router.committed();
                  onCommit();
                }
              : onCommit,
          );
      }
    }
  }

  async writeBatch(
    records: readonly PreparedEnvelope[],
    conditions?: readonly BatchCondition[],
  ): Promise<WriteOutcome[]> {
    let outcomes: WriteOutcome[];
    try {
      outcomes = await this.writer.writeBatch(records, conditions);
    } finally {
      // Even a failed batch may have committed (a connection lost during COMMIT).
      this.router?.committed();
    }
    this.notifier?.committed();
    return outcomes;
  }

  readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    const read = (pool: pg.Pool, r: NormalizedRange) =>
      readPages(pool, this.sql, this.pageSize, this.pageBytes, sessionId, r);
    return this.router ? this.router.readPages(range, read) : read(this.pool, range);
  }

  readFeed(request: FeedPageRequest): Promise<FeedPage> {
    // A follower reads again as the store closes: let such reads finish before the pool ends
    // (pg-pool never answers a checkout queued just before `end()`), and refuse later ones.
    if (this.closed) return Promise.reject(new StorageError('postgres: the store is closed'));
    const stop = () => this.closed;
    const read = this.router
      ? this.router.read('feed', (pool, deadline) =>
          readFeed(pool, this.sql, this.pageBytes, request, stop, deadline),
        )
      : readFeed(this.pool, this.sql, this.pageBytes, request, stop);
    this.feedReads.add(read);
    read.then(
      () => this.feedReads.delete(read),
      () => this.feedReads.delete(read),
    );
    return read;
  }

  isFeedPosition(position: string): boolean {
    return isFeedPosition(position);
  }

  listSessions(request: SessionPageRequest): Promise<StoredSession[]> {
    if (!this.router) return listSessions(this.pool, this.sessions, request);
    return this.router.read('listSessions', (pool) => listSessions(pool, this.sessions, request));
  }

  getSession(sessionId: string): Promise<StoredSession | null> {
    if (!this.router) return getSession(this.pool, this.sessions, sessionId);
    return this.router.read('getSession', (pool) => getSession(pool, this.sessions, sessionId));
  }

  async deleteSession(sessionId: string): Promise<{ deletedEvents: number }> {
    try {
      return await deleteSession(this.pool, this.sessions, sessionId);
    } finally {
      this.router?.committed();
    }
  }

  async purgeExpired(request: PurgeRequest): Promise<PurgeResult> {
    try {
      return await purgeExpired(this.pool, this.sessions, request);
    } finally {
      this.router?.committed();
    }
  }

  async writeCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    await this.pool.query({
      ...this.sql.writeCheckpoint,
      values: [checkpoint.sessionId, checkpoint.json, checkpoint.seq ?? null, checkpoint.createdAt],
    });
  }

  async readCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    const { rows } = await this.pool.query<{
      session_id: string;
      json: string;
      seq: string | null;
      created_at: Date;
    }>({ ...this.sql.readCheckpoint, values: [sessionId] });
    const row = rows[0];
    if (!row) return null;
    return {
      sessionId: row.session_id,
      json: row.json,
      createdAt: row.created_at.toISOString(),
      ...(row.seq === null ? {} : { seq: Number(row.seq) }),
    };
  }

  isTransient(error: unknown): boolean {
    return isTransientPgError(error);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.feedReads);
    // Core stopped the listener already (its followers ended): wait for its connection to end.
    await this.listener?.ended();
    await this.notifier?.settled();
    this.router?.close();
    // A caller's pool is theirs to end.
    if (this.ownsPool) await this.pool.end();
    if (this.replica?.ownsPool) await this.replica.pool.end();
  }
}
