import { type AppendResult, StorageError } from '@history/core';
import type { BatchCondition, PreparedEnvelope, WriteOutcome } from '@history/core/backend';
import type pg from 'pg';
import { copyChunks, copyInto, copyLine, type StagedRow } from './copy-rows.js';
import { isTransientPgError } from './is-transient.js';
import { withClient } from './pg-connection.js';
import { type LockedSession, planConditions } from './plan-conditions.js';
import type { SessionStatements } from './session-statements.js';
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
 *
 * A batch with conditions (conditional appends) takes its own path, in one transaction: lock
 * every session of the batch, look its ids up, decide which conditions hold
 * (plan-conditions.ts), and write the rest with the duplicate-aware statement. The decision is
 * made under the row locks every writer of those sessions takes, so it holds across processes.
 */
export class PostgresWriter {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: Statements,
    private readonly sessions: SessionStatements,
    private readonly copyThreshold: number,
  ) {}

  async writeBatch(
    records: readonly PreparedEnvelope[],
    conditions: readonly BatchCondition[] = [],
  ): Promise<WriteOutcome[]> {
    try {
      if (conditions.length > 0) return await this.writeConditional(records, conditions);
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
        values: appendBatchParams(params),
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

  /** A batch with conditions: see the class comment. */
  private writeConditional(
    records: readonly PreparedEnvelope[],
    conditions: readonly BatchCondition[],
  ): Promise<WriteOutcome[]> {
    return withClient(
      this.pool,
      async (client, discard) => {
        await client.query('BEGIN');
        try {
          const { outcomes, wrote } = await this.decideAndWrite(client, records, conditions);
          // Nothing written (every condition failed): roll back, so the tombstones the locks
          // created for new sessions do not stay behind.
          await client.query(wrote ? 'COMMIT' : 'ROLLBACK');
          return outcomes;
        } catch (error) {
          await client.query('ROLLBACK').catch(discard);
          throw error;
        }
      },
      isTransientPgError,
    );
  }

  private async decideAndWrite(
    client: pg.PoolClient,
    records: readonly PreparedEnvelope[],
    conditions: readonly BatchCondition[],
  ): Promise<{ outcomes: WriteOutcome[]; wrote: boolean }> {
    const sessionIds = [...new Set(records.map((r) => r.sessionId))].sort(byteOrder);
    const { rows: locks } = await client.query<[string, string, boolean]>({
      ...this.sessions.lockSessions,
      values: [sessionIds],
      rowMode: 'array',
    });
    const locked = new Map<string, LockedSession>();
    for (const [id, lastSeq, exists] of locks) locked.set(id, { lastSeq: Number(lastSeq), exists });
    // A statement after the locks: it sees every write committed before they were granted.
    const { rows: found } = await client.query<[string, string]>({
      ...this.sessions.storedIds,
      values: [records.map((r) => r.sessionId), records.map((r) => r.id)],
      rowMode: 'array',
    });
    const stored = new Set(found.map(([sessionId, id]) => `${sessionId}\0${id}`));
    const plan = planConditions(records, conditions, locked, stored);
    const kept = plan.write.map((i) => records[i]!);
    const outcomes = new Array<WriteOutcome>(records.length);
    for (const [i, conflict] of plan.conflicts) outcomes[i] = conflict;
    if (kept.length > 0) {
      const { rows } = await client.query<ResultRow>({
        ...this.sql.appendBatch,
        values: appendBatchParams(batchParams(kept)),
        rowMode: 'array',
      });
      const results = toResults(kept, rows);
      plan.write.forEach((i, k) => {
        outcomes[i] = results[k]!;
      });
    }
    return { outcomes, wrote: kept.length > 0 };
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
 * The bind parameters of `appendNew`: session ids, ids, occurredAt, envelopes joined by
 * ENVELOPE_SEPARATOR, for each row how many rows of its session follow it in the batch, and
 * the expiry instants (null, not an array of nulls, when no record has a ttl: unnest pads it).
 */
function batchParams(records: readonly PreparedEnvelope[]): unknown[] {
  const n = records.length;
  const sessionIds = new Array<string>(n);
  const ids = new Array<string>(n);
  const occurredAt = new Array<string>(n);
  const envelopes = new Array<string>(n);
  const after = new Array<number>(n);
  let expires: (string | null)[] | null = null;
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
    if (r.expiresAtMs !== undefined) {
      expires ??= new Array<string | null>(n).fill(null);
      expires[i] = new Date(r.expiresAtMs).toISOString();
    }
  }
  return [sessionIds, ids, occurredAt, envelopes.join(ENVELOPE_SEPARATOR), after, expires];
}

/** `appendBatch` takes `appendNew`'s parameters but the fifth. */
function appendBatchParams(params: unknown[]): unknown[] {
  return [params[0], params[1], params[2], params[3], params[5]];
}

/** Code point (UTF-8 byte) order, the COLLATE "C" order every writer locks sessions in. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
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
      expiresAt: r.expiresAtMs === undefined ? undefined : new Date(r.expiresAtMs).toISOString(),
    };
  }
}
