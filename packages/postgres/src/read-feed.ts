import type { FeedPage, FeedPageRequest, StoredFeedEntry } from '@history/core/backend';
import type pg from 'pg';
import { FEED_START, parseFeedPosition } from './feed-position.js';
import { createdAtParser, PAGE_TYPES } from './page-types.js';
import { ReplicaBehindError } from './replica-behind-error.js';
import type { Statements } from './statements.js';

/** tx, pos, session_id, seq, id, created_at (server text), live, envelope, fits. */
type Row = [string, string, string, number, string, string, boolean, string | null, boolean];

/** Waits between reads of a page held back by the horizon: doubling from the first to the last. */
const FIRST_WAIT_MS = 1;
const LAST_WAIT_MS = 100;

/**
 * One page of the feed (`readFeedPage`). A page found empty while committed rows lie beyond
 * the horizon (an older transaction, anywhere in the cluster, is still running) is read again,
 * backing off, until they can be delivered or `stop()` says so: an empty page must mean that
 * nothing more is committed, so a `feed()` right after an append yields it. Still held back
 * at `deadline` (epoch ms; a replica's read: its horizon moves only as it replays), it throws
 * `ReplicaBehindError` so that the primary is read instead.
 */
export async function readFeed(
  pool: pg.Pool,
  sql: Statements,
  pageBytes: number,
  request: FeedPageRequest,
  stop: () => boolean,
  deadline = Number.POSITIVE_INFINITY,
): Promise<FeedPage> {
  const { tx, pos } = request.after === undefined ? FEED_START : parseFeedPosition(request.after);
  for (let waitMs = FIRST_WAIT_MS; ; waitMs = Math.min(waitMs * 2, LAST_WAIT_MS)) {
    const page = await readFeedPage(pool, sql, pageBytes, tx, pos, request.limit);
    if (page.entries.length > 0 || page.position !== undefined || stop()) return page;
    const { rows } = await pool.query({ ...sql.feedAhead, values: [tx, pos] });
    if (rows.length === 0) return page;
    if (Date.now() >= deadline) throw new ReplicaBehindError();
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

/**
 * One page below the horizon: one short query on a pooled connection (`Statements.feed`, then
 * `feedCut` when the page is too large). Rows expired at the moment the page is asked for come
 * back without their envelope and are skipped here; when the page ends with such rows, its
 * `position` moves past them.
 */
export async function readFeedPage(
  pool: pg.Pool,
  sql: Statements,
  pageBytes: number,
  tx: string,
  pos: string,
  limit: number,
): Promise<FeedPage> {
  const values = [tx, pos, limit, new Date(Date.now()).toISOString(), pageBytes];
  const run = async (statement: Statements['feed']) =>
    (await pool.query<Row>({ ...statement, values, rowMode: 'array', types: PAGE_TYPES })).rows;
  let rows = await run(sql.feed);
  if (rows.length === 1 && !rows[0]![8]) rows = await run(sql.feedCut);
  const entries: StoredFeedEntry[] = [];
  const isoOf = createdAtParser();
  for (const [rowTx, rowPos, sessionId, seq, id, createdAt, live, json] of rows) {
    if (!live) continue;
    entries.push({
      position: `${rowTx}.${rowPos}`,
      seq,
      sessionId,
      id,
      json: json!,
      createdAt: isoOf(createdAt),
    });
  }
  const last = rows[rows.length - 1];
  return last && !last[6] ? { entries, position: `${last[0]}.${last[1]}` } : { entries };
}
