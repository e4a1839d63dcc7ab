import type { NormalizedRange, StoredRecord } from '@history/core';
import type pg from 'pg';
import type { Statements } from './statements.js';

interface Row {
  seq: string;
  session_id: string;
  id: string;
  json: string;
  created_at: Date;
}

/**
 * Keyset pagination on (session_id, seq): each page is one short query on a
 * pooled connection, resuming after the last seq seen. Memory is one page;
 * no connection or cursor is held between pages, so leaving early holds nothing.
 */
export async function* readPages(
  pool: pg.Pool,
  sql: Statements,
  pageSize: number,
  sessionId: string,
  range: NormalizedRange,
): AsyncGenerator<StoredRecord[]> {
  const forward = range.direction === 'forward';
  let after = range.after;
  let left = range.limit ?? Number.POSITIVE_INFINITY;
  const from = range.fromMs === undefined ? undefined : new Date(range.fromMs).toISOString();
  const to = range.toMs === undefined ? undefined : new Date(range.toMs).toISOString();
  while (left > 0) {
    const size = Math.min(pageSize, left);
    const statement = sql.read({
      forward,
      after: after !== undefined,
      from: from !== undefined,
      to: to !== undefined,
    });
    const values: unknown[] = [sessionId, size];
    if (after !== undefined) values.push(after);
    if (from !== undefined) values.push(from);
    if (to !== undefined) values.push(to);
    const { rows } = await pool.query<Row>({ ...statement, values });
    if (rows.length === 0) return;
    const page = rows.map(
      (row): StoredRecord => ({
        seq: Number(row.seq),
        sessionId: row.session_id,
        id: row.id,
        json: row.json,
        createdAt: row.created_at.toISOString(),
      }),
    );
    yield page;
    if (rows.length < size) return;
    left -= rows.length;
    after = page[page.length - 1]!.seq;
  }
}
