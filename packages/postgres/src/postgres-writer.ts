import { type AppendResult, StorageError } from '@history/core';
import type { PreparedEnvelope } from '@history/core/backend';
import type pg from 'pg';
import { copyChunks, copyInto, copyLine, type StagedRow } from './copy-rows.js';
import { isTransientPgError } from './is-transient.js';
import { withClient } from './pg-connection.js';
import { COPY_STAGING, CREATE_STAGING, ENVELOPE_SEPARATOR, type Statements } from './statements.js';

/**
 * Writes one batch atomically with one statement (statements.ts) that reserves the
 * sessions' next seqs with one counter upsert per session and inserts the rows; so seq
 * allocation is correct across any number of processes. The hot path assumes every id
 * is new; if one is stored already, the batch is written again with the statement that
 * looks ids up and reports duplicates.
 *
 * A batch is sent as bind parameters: one round trip, autocommit. From `copyThreshold`
 * records on (off by default), the rows are streamed with COPY into a per-connection
 * staging table first, and the statement reads them from there, all inside one
 * transaction.
 */
export class PostgresWriter {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: Statements,
    private readonly copyThreshold: number,
  ) {}

  async writeBatch(records: readonly PreparedEnvelope[]): Promise<AppendResult[]> {
    try {
      if (records.length >= this.copyThreshold)
        return toResults(records, await this.writeByCopy(records));
      const params = batchParams(records);
      try {
        return await this.writeNew(records, params);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Some ids are stored already (a retried append): nothing was written; write the
        // batch again with the statement that reports those as duplicates.
      }
      const { rows } = await this.pool.query<ResultRow>({
        ...this.sql.appendBatch,
        values: params.slice(0, 4),
        rowMode: 'array',
      });
      return toResults(records, rows);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // Another process stored one of these ids after the statement's snapshot: nothing
      // was written, and the retry finds that id stored and reports it as a duplicate.
      throw new StorageError(`postgres: ${(error as Error).message}`, {
        cause: error,
        transient: true,
      });
    }
  }

  /** The hot path: every id new; seqs computed from each session's new last_seq. */
  private async writeNew(records: readonly PreparedEnvelope[], params: unknown[]) {
    const { rows } = await this.pool.query<[string, string]>({
      ...this.sql.appendNew,
      values: params,
      rowMode: 'array',
    });
    const lastSeq = new Map<string, number>();
    for (const [sessionId, seq] of rows) lastSeq.set(sessionId, Number(seq));
    const after = params[4] as number[];
    const results = new Array<AppendResult>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const last = lastSeq.get(r.sessionId);
      if (last === undefined)
        throw new StorageError(`postgres: no seq reserved for ${r.sessionId}`);
      results[i] = { id: r.id, sessionId: r.sessionId, seq: last - after[i]!, duplicate: false };
    }
    return results;
  }

  private writeByCopy(records: readonly PreparedEnvelope[]): Promise<ResultRow[]> {
    return withClient(
      this.pool,
      async (client, discard) => {
        await client.query('BEGIN');
        try {
          await client.query(CREATE_STAGING);
          await copyInto(client, COPY_STAGING, copyChunks(this.copyLines(staged(records))));
          const { rows } = await client.query<ResultRow>({
            ...this.sql.appendStaged,
            rowMode: 'array',
          });
          await client.query('COMMIT');
          return rows;
        } catch (error) {
          // If even ROLLBACK fails the connection is unusable: destroy it, never pool it.
          await client.query('ROLLBACK').catch(discard);
          throw error;
        }
      },
      isTransientPgError,
    );
  }

  /** COPY text lines for `rows`; a seam tests use to fail a COPY mid-stream. */
  protected *copyLines(rows: Iterable<StagedRow>): Generator<string> {
    for (const row of rows) yield copyLine(row);
  }
}

/**
 * The bind parameters of `appendNew` (the first four are those of `appendBatch`):
 * session ids, ids, occurredAt, envelopes joined by ENVELOPE_SEPARATOR, and for each row
 * how many rows of its session follow it in the batch.
 */
function batchParams(records: readonly PreparedEnvelope[]): unknown[] {
  const n = records.length;
  const sessionIds = new Array<string>(n);
  const ids = new Array<string>(n);
  const occurredAt = new Array<string>(n);
  const envelopes = new Array<string>(n);
  const after = new Array<number>(n);
  const seen = new Map<string, number>();
  for (let i = n - 1; i >= 0; i--) {
    const r = records[i]!;
    const later = seen.get(r.sessionId) ?? 0;
    seen.set(r.sessionId, later + 1);
    after[i] = later;
    sessionIds[i] = r.sessionId;
    ids[i] = r.id;
    occurredAt[i] = new Date(r.occurredAtMs).toISOString();
    envelopes[i] = r.json;
  }
  return [sessionIds, ids, occurredAt, envelopes.join(ENVELOPE_SEPARATOR), after];
}

function toResults(records: readonly PreparedEnvelope[], rows: ResultRow[]): AppendResult[] {
  if (rows.length !== records.length) {
    throw new StorageError(
      `postgres: the batch returned ${rows.length} of ${records.length} results`,
    );
  }
  const results = new Array<AppendResult>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const row = rows[i]!;
    results[i] = { id: r.id, sessionId: r.sessionId, seq: Number(row[0]), duplicate: row[1] };
  }
  return results;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}

/** (seq as int8 text, duplicate), in `rowMode: 'array'`. */
type ResultRow = [string, boolean];

function* staged(records: readonly PreparedEnvelope[]): Generator<StagedRow> {
  for (let n = 0; n < records.length; n++) {
    const r = records[n]!;
    yield {
      n,
      sessionId: r.sessionId,
      id: r.id,
      occurredAt: new Date(r.occurredAtMs).toISOString(),
      json: r.json,
    };
  }
}
