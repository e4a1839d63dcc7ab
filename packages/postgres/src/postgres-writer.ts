import { type AppendResult, type PreparedEnvelope, StorageError } from '@history/core';
import type pg from 'pg';
import { copyChunks, copyInto, copyLine, type EventRow } from './copy-rows.js';
import { isTransientPgError } from './is-transient.js';
import { withClient } from './pg-connection.js';
import { COPY_STAGING, CREATE_STAGING, type Statements } from './statements.js';

/**
 * Writes one batch atomically. Both paths take the same steps:
 * 1. lock (creating if needed) each session's counter row, sessions sorted so that two
 *    batches cannot deadlock;
 * 2. look up ids already stored in those sessions: they become duplicates and get no seq;
 * 3. hand out seqs in batch order after each session's last_seq, insert, advance last_seq.
 * The row locks make seq allocation correct across any number of processes.
 *
 * Below `copyThreshold` records the server does it all in one call of `append_batch()`
 * (one round trip, autocommit). From `copyThreshold` on, the rows are streamed with COPY
 * into a per-connection staging table inside an explicit transaction.
 */
export class PostgresWriter {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: Statements,
    private readonly copyThreshold: number,
  ) {}

  async writeBatch(records: readonly PreparedEnvelope[]): Promise<AppendResult[]> {
    const sessions = [...new Set(records.map((r) => r.sessionId))].sort();
    if (records.length < this.copyThreshold) return this.writeInOneCall(sessions, records);
    return withClient(
      this.pool,
      async (client, discard) => {
        await client.query('BEGIN');
        try {
          const results = await this.writeByCopy(client, sessions, records);
          await client.query('COMMIT');
          return results;
        } catch (error) {
          // If even ROLLBACK fails the connection is unusable: destroy it, never pool it.
          await client.query('ROLLBACK').catch(discard);
          throw error;
        }
      },
      isTransientPgError,
    );
  }

  private async writeInOneCall(
    sessions: string[],
    records: readonly PreparedEnvelope[],
  ): Promise<AppendResult[]> {
    const { rows } = await this.pool.query<{ r_seq: string; r_duplicate: boolean }>({
      ...this.sql.appendBatch,
      values: [
        sessions,
        records.map((r) => r.sessionId),
        records.map((r) => r.id),
        records.map((r) => new Date(r.occurredAtMs).toISOString()),
        records.map((r) => r.json),
      ],
    });
    if (rows.length !== records.length) {
      throw new StorageError(
        `postgres: append_batch returned ${rows.length} of ${records.length} results`,
      );
    }
    return records.map((r, i) => ({
      id: r.id,
      sessionId: r.sessionId,
      seq: Number(rows[i]!.r_seq),
      duplicate: rows[i]!.r_duplicate,
    }));
  }

  private async writeByCopy(
    client: pg.PoolClient,
    sessions: string[],
    records: readonly PreparedEnvelope[],
  ): Promise<AppendResult[]> {
    const locked = await client.query<{ session_id: string; last_seq: string }>({
      ...this.sql.lockSessions,
      values: [sessions],
    });
    const lastSeq = new Map<string, number>();
    for (const row of locked.rows) lastSeq.set(row.session_id, Number(row.last_seq));

    const existing = await this.findExisting(client, records, lastSeq);
    const results: AppendResult[] = new Array(records.length);
    const rows: EventRow[] = [];
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const stored = existing.get(`${r.sessionId}\0${r.id}`);
      if (stored !== undefined) {
        results[i] = { id: r.id, sessionId: r.sessionId, seq: stored, duplicate: true };
        continue;
      }
      const seq = lastSeq.get(r.sessionId)! + 1;
      lastSeq.set(r.sessionId, seq);
      rows.push({
        sessionId: r.sessionId,
        seq,
        id: r.id,
        occurredAt: new Date(r.occurredAtMs).toISOString(),
        json: r.json,
      });
      results[i] = { id: r.id, sessionId: r.sessionId, seq, duplicate: false };
    }
    if (rows.length === 0) return results;

    await client.query(CREATE_STAGING);
    await copyInto(client, COPY_STAGING, copyChunks(this.copyLines(rows)));
    const inserted = (await client.query(this.sql.insertStaged)).rowCount ?? 0;
    if (inserted !== rows.length) {
      // Only a writer bypassing the session lock can cause this; retrying turns it into duplicates.
      throw new StorageError(`postgres: inserted ${inserted} of ${rows.length} rows`, {
        transient: true,
      });
    }
    const touched = [...new Set(rows.map((r) => r.sessionId))];
    await client.query({
      ...this.sql.updateSessions,
      values: [touched, touched.map((s) => lastSeq.get(s)!)],
    });
    return results;
  }

  /** Seq of each (session, id) of the batch already stored; sessions still at 0 are skipped. */
  private async findExisting(
    client: pg.PoolClient,
    records: readonly PreparedEnvelope[],
    lastSeq: Map<string, number>,
  ): Promise<Map<string, number>> {
    const sessionIds: string[] = [];
    const ids: string[] = [];
    for (const r of records) {
      if (lastSeq.get(r.sessionId)! > 0) {
        sessionIds.push(r.sessionId);
        ids.push(r.id);
      }
    }
    const found = new Map<string, number>();
    if (ids.length === 0) return found;
    const { rows } = await client.query<{ session_id: string; id: string; seq: string }>({
      ...this.sql.findExisting,
      values: [sessionIds, ids],
    });
    for (const row of rows) found.set(`${row.session_id}\0${row.id}`, Number(row.seq));
    return found;
  }

  /** COPY text lines for `rows`; a seam tests use to fail a COPY mid-stream. */
  protected *copyLines(rows: readonly EventRow[]): Generator<string> {
    for (const row of rows) yield copyLine(row);
  }
}
