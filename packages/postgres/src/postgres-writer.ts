import { type AppendResult, type PreparedEnvelope, StorageError } from '@history/core';
import type pg from 'pg';
import { copyChunks, copyInto, copyLine, type StagedRow } from './copy-rows.js';
import { isTransientPgError } from './is-transient.js';
import { withClient } from './pg-connection.js';
import { COPY_STAGING, CREATE_STAGING, type Statements } from './statements.js';

/**
 * Writes one batch atomically through the schema's `append_batch()` function
 * (migrations/postgres/0001_initial.sql), which locks the batch's session counter
 * rows, turns ids already stored into duplicates, hands out the next seqs in batch
 * order and inserts, so seq allocation is correct across any number of processes.
 *
 * Below `copyThreshold` records the batch goes to it as bind-parameter arrays: one
 * round trip, autocommit. From `copyThreshold` on, the rows are streamed with COPY
 * into a per-connection staging table first, and the function reads them from there,
 * all inside one transaction.
 */
export class PostgresWriter {
  constructor(
    private readonly pool: pg.Pool,
    private readonly sql: Statements,
    private readonly copyThreshold: number,
  ) {}

  async writeBatch(records: readonly PreparedEnvelope[]): Promise<AppendResult[]> {
    // The same order in every writer, so two batches cannot lock sessions crosswise.
    const sessions = [...new Set(records.map((r) => r.sessionId))].sort();
    const rows =
      records.length < this.copyThreshold
        ? await this.writeInOneCall(sessions, records)
        : await this.writeByCopy(sessions, records);
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

  private async writeInOneCall(sessions: string[], records: readonly PreparedEnvelope[]) {
    const { rows } = await this.pool.query<ResultRow>({
      ...this.sql.appendBatch,
      values: [
        sessions,
        records.map((r) => r.sessionId),
        records.map((r) => r.id),
        records.map((r) => new Date(r.occurredAtMs).toISOString()),
        records.map((r) => r.json),
      ],
    });
    return rows;
  }

  private writeByCopy(sessions: string[], records: readonly PreparedEnvelope[]) {
    return withClient(
      this.pool,
      async (client, discard) => {
        await client.query('BEGIN');
        try {
          await client.query(CREATE_STAGING);
          await copyInto(client, COPY_STAGING, copyChunks(this.copyLines(staged(records))));
          const { rows } = await client.query<ResultRow>({
            ...this.sql.appendStaged,
            values: [sessions],
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

interface ResultRow {
  r_seq: string;
  r_duplicate: boolean;
}

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
