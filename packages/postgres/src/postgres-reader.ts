import type { NormalizedRange, StoredRecord } from '@history/core/backend';
import type pg from 'pg';
import { createdAtParser, PAGE_TYPES } from './page-types.js';
import type { NamedStatement, Statements } from './statements.js';

/**
 * A page row in `rowMode: 'array'`: seq, id, envelope JSON text, created_at text. A NULL
 * envelope marks a page too large for `read` (its only row), or the row a page read by
 * `readCut` was cut at (its last row; more rows follow).
 */
type Row = [number, string, string | null, string];

/**
 * Keyset pagination on (session_id, seq): each page is one short query on a
 * pooled connection, resuming after the last seq seen. A page holds at most
 * `pageSize` rows and `pageBytes` of envelopes (a larger envelope alone), cut
 * on the server (`Statements.read`, and `readCut` for a page of large
 * envelopes). It asks for one row more than it yields, or gets the row it was
 * cut at by bytes without its envelope: when neither comes, the stream ends
 * without another query. When one does, the next page's query is sent before
 * this page is handed over, so the server and the wire work while the consumer
 * parses: at most two pages in memory. No connection or cursor is held between
 * pages; leaving early waits for a query in flight, so nothing runs after it.
 * Rows expired when their page is asked for (`expires_at` at or before that moment) are
 * skipped by the query itself, so `limit` and the page bounds count live rows only.
 */
export async function* readPages(
  pool: pg.Pool,
  sql: Statements,
  pageSize: number,
  pageBytes: number,
  sessionId: string,
  range: NormalizedRange,
): AsyncGenerator<StoredRecord[]> {
  const forward = range.direction === 'forward';
  const from = range.fromMs === undefined ? undefined : new Date(range.fromMs).toISOString();
  const to = range.toMs === undefined ? undefined : new Date(range.toMs).toISOString();
  let left = range.limit ?? Number.POSITIVE_INFINITY;
  const isoOf = createdAtParser();
  /** `large`: the previous page was cut by bytes, so this one is likely cut too: `readCut` at once. */
  const query = async (after: number | undefined, size: number, large: boolean): Promise<Row[]> => {
    const shape = {
      forward,
      after: after !== undefined,
      from: from !== undefined,
      to: to !== undefined,
    };
    // Expiry is judged once per page, at the moment it is asked for.
    const now = new Date(Date.now()).toISOString();
    const values: unknown[] = [sessionId, left > size ? size + 1 : size, pageBytes, now];
    if (after !== undefined) values.push(after);
    if (from !== undefined) values.push(from);
    if (to !== undefined) values.push(to);
    const run = (statement: NamedStatement) =>
      pool.query<Row>({ ...statement, values, rowMode: 'array', types: PAGE_TYPES });
    if (!large) {
      const { rows } = await run(sql.read(shape));
      if (rows.length !== 1 || rows[0]![2] !== null) return rows;
    }
    return (await run(sql.readCut(shape))).rows;
  };
  const prefetch = (after: number | undefined, size: number, large: boolean) => {
    const pending = query(after, size, large);
    // Handled here too: a consumer may leave before this page is awaited.
    pending.catch(() => {});
    return pending;
  };
  let size = Math.min(pageSize, left);
  let pending: Promise<Row[]> | undefined = prefetch(range.after, size, false);
  try {
    while (pending) {
      const rows = await pending;
      pending = undefined;
      let n = rows.length;
      // Cut by bytes: the last row came without its envelope (never the first: a cut page is
      // never empty). Cut by rows: the one row asked for beyond the page is there.
      const byBytes = n > 0 && rows[n - 1]![2] === null;
      const cut = byBytes || n > size;
      if (cut) n = Math.min(n - 1, size);
      if (n === 0) return;
      const page = new Array<StoredRecord>(n);
      for (let i = 0; i < n; i++) {
        const [seq, id, json, createdAt] = rows[i]!;
        page[i] = { seq, sessionId, id, json: json!, createdAt: isoOf(createdAt) };
      }
      left -= n;
      if (cut && left > 0) {
        size = Math.min(pageSize, left);
        pending = prefetch(page[n - 1]!.seq, size, byBytes);
      }
      yield page;
    }
  } finally {
    await pending?.catch(() => {});
  }
}
