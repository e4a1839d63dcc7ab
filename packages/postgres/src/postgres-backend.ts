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
import pg from 'pg';
import { commitChannel } from './commit-channel.js';
import { CommitListener, LISTENER_APPLICATION_NAME } from './commit-listener.js';
import { CommitNotifier } from './commit-notifier.js';
import { deleteSession } from './delete-session.js';
import { isFeedPosition } from './feed-position.js';
import { isTransientPgError } from './is-transient.js';
import { readPages } from './postgres-reader.js';
import { PostgresWriter } from './postgres-writer.js';
import { purgeExpired } from './purge-expired.js';
import { readFeed } from './read-feed.js';
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
  private closed = false;
  /** Present with `notify`: core runs it while some stream or feed follows. */
  readonly watchCommits?: (onCommit: () => void) => () => void;

  constructor(options: PostgresBackendOptions) {
    this.pool = options.pool;
    this.ownsPool = options.ownsPool;
    this.sql = new Statements(options.schema);
    this.sessions = new SessionStatements(options.schema);
    this.writer = new PostgresWriter(options.pool, this.sql, this.sessions, options.copyThreshold);
    this.pageSize = options.pageSize;
    this.pageBytes = options.pageBytes;
    if (options.notify) {
      const channel = commitChannel(options.schema);
      this.notifier = new CommitNotifier(options.pool, channel);
      const listener = new CommitListener(() => listenerClient(options.pool), channel);
      this.listener = listener;
      this.watchCommits = (onCommit) => listener.watch(onCommit);
    }
  }

  async writeBatch(
    records: readonly PreparedEnvelope[],
    conditions?: readonly BatchCondition[],
  ): Promise<WriteOutcome[]> {
    const outcomes = await this.writer.writeBatch(records, conditions);
    this.notifier?.committed();
    return outcomes;
  }

  readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    return readPages(this.pool, this.sql, this.pageSize, this.pageBytes, sessionId, range);
  }

  readFeed(request: FeedPageRequest): Promise<FeedPage> {
    // A follower reads again as the store closes: let such reads finish before the pool ends
    // (pg-pool never answers a checkout queued just before `end()`), and refuse later ones.
    if (this.closed) return Promise.reject(new StorageError('postgres: the store is closed'));
    const read = readFeed(this.pool, this.sql, this.pageBytes, request, () => this.closed);
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
    return listSessions(this.pool, this.sessions, request);
  }

  getSession(sessionId: string): Promise<StoredSession | null> {
    return getSession(this.pool, this.sessions, sessionId);
  }

  deleteSession(sessionId: string): Promise<{ deletedEvents: number }> {
    return deleteSession(this.pool, this.sessions, sessionId);
  }

  purgeExpired(request: PurgeRequest): Promise<PurgeResult> {
    return purgeExpired(this.pool, this.sessions, request);
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
    // A caller's pool is theirs to end.
    if (this.ownsPool) await this.pool.end();
  }
}

/**
 * The listener's own connection: the pool's client class and settings (connect timeout
 * included), outside the pool, named so that it can be told apart in `pg_stat_activity`.
 */
function listenerClient(pool: pg.Pool): pg.Client {
  const Client = (pool.options.Client ?? pg.Client) as typeof pg.Client;
  return new Client({ ...pool.options, application_name: LISTENER_APPLICATION_NAME });
}
