import type { NormalizedRange, StoredRecord } from '@history/core';
import pg from 'pg';
import type { Statements } from './statements.js';

/** A page row in `rowMode: 'array'`: seq, id, envelope JSON text, created_at text. */
type Row = [number, string, string, string];

const INT8 = 20;
const TIMESTAMPTZ = 1184;
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ) as (text: string) => Date;

// created_at comes back as the server's text, parsed once per distinct value (a batch shares
// one) rather than into a Date per row as pg's default parser would; seq straight to a number.
const PAGE_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === TIMESTAMPTZ
      ? (text: string) => text
      : oid === INT8
        ? Number
        : pg.types.getTypeParser(oid, format),
};

/**
 * Keyset pagination on (session_id, seq): each page is one short query on a
 * pooled connection, resuming after the last seq seen. A page asks for one row
 * more than it yields: when that row is missing the stream ends without
 * another query. When it is there, the next page's query is sent before this
 * page is handed over, so the server and the wire work while the consumer
 * parses: at most two pages in memory. No connection or cursor is held between
 * pages; leaving early waits for a query in flight, so nothing runs after it.
 */
export async function* readPages(
  pool: pg.Pool,
  sql: Statements,
  pageSize: number,
  sessionId: string,
  range: NormalizedRange,
): AsyncGenerator<StoredRecord[]> {
  const forward = range.direction === 'forward';
  const from = range.fromMs === undefined ? undefined : new Date(range.fromMs).toISOString();
  const to = range.toMs === undefined ? undefined : new Date(range.toMs).toISOString();
  let left = range.limit ?? Number.POSITIVE_INFINITY;
  let lastRaw = '';
  let lastCreatedAt = '';
  const query = (after: number | undefined, size: number) => {
    const statement = sql.read({
      forward,
      after: after !== undefined,
      from: from !== undefined,
      to: to !== undefined,
    });
    const values: unknown[] = [sessionId, left > size ? size + 1 : size];
    if (after !== undefined) values.push(after);
    if (from !== undefined) values.push(from);
    if (to !== undefined) values.push(to);
    const pending = pool.query<Row>({ ...statement, values, rowMode: 'array', types: PAGE_TYPES });
    // Handled here too: a consumer may leave before this page is awaited.
    pending.catch(() => {});
    return pending;
  };
  let size = Math.min(pageSize, left);
  let pending: Promise<{ rows: Row[] }> | undefined = query(range.after, size);
  try {
    while (pending) {
      const { rows } = await pending;
      pending = undefined;
      const n = Math.min(rows.length, size);
      if (n === 0) return;
      const page = new Array<StoredRecord>(n);
      for (let i = 0; i < n; i++) {
        const [seq, id, json, createdAt] = rows[i]!;
        if (createdAt !== lastRaw) {
          lastRaw = createdAt;
          lastCreatedAt = parseTimestamptz(createdAt).toISOString();
        }
        page[i] = { seq, sessionId, id, json, createdAt: lastCreatedAt };
      }
      left -= n;
      if (rows.length > n && left > 0) {
        size = Math.min(pageSize, left);
        pending = query(page[n - 1]!.seq, size);
      }
      yield page;
    }
  } finally {
    await pending?.catch(() => {});
  }
}
