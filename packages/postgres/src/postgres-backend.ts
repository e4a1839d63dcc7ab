import type { PurgeResult } from '@history/core';
import type {
  BatchCondition,
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
import { deleteSession } from './delete-session.js';
import { isTransientPgError } from './is-transient.js';
import { readPages } from './postgres-reader.js';
import { PostgresWriter } from './postgres-writer.js';
import { purgeExpired } from './purge-expired.js';
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

  constructor(options: PostgresBackendOptions) {
    this.pool = options.pool;
    this.ownsPool = options.ownsPool;
    this.sql = new Statements(options.schema);
    this.sessions = new SessionStatements(options.schema);
    this.writer = new PostgresWriter(options.pool, this.sql, this.sessions, options.copyThreshold);
    this.pageSize = options.pageSize;
    this.pageBytes = options.pageBytes;
  }

  writeBatch(
    records: readonly PreparedEnvelope[],
    conditions?: readonly BatchCondition[],
  ): Promise<WriteOutcome[]> {
    return this.writer.writeBatch(records, conditions);
  }

  readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    return readPages(this.pool, this.sql, this.pageSize, this.pageBytes, sessionId, range);
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
    // A caller's pool is theirs to end.
    if (this.ownsPool) await this.pool.end();
  }
}
