import { createHash } from 'node:crypto';
import { quoteIdentifier } from './schema-name.js';

/**
 * A statement with a stable name, so each pooled connection prepares it once; without one
 * (`unnamed`), it is parsed and planned at every execution.
 */
export interface NamedStatement {
  name?: string;
  text: string;
}

export interface ReadShape {
  forward: boolean;
  after: boolean;
  from: boolean;
  to: boolean;
}

export function named(text: string): NamedStatement {
  // Same text, same name: pg refuses a name reused with other text on one connection.
  return { name: `history_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text };
}

/**
 * The statement without a name, for connections through a transaction pooler: a prepared
 * statement lives on one server connection, and the pooler hands the next query any of them.
 */
export function unnamed(text: string): NamedStatement {
  return { text };
}

/** Every SQL text the backend runs on one schema; the schema name enters only quoted. */
export class Statements {
  readonly appendNew: NamedStatement;
  readonly appendBatch: NamedStatement;
  readonly appendStaged: NamedStatement;
  readonly writeCheckpoint: NamedStatement;
  readonly readCheckpoint: NamedStatement;
  /** A page of the feed (see `feedSql`). */
  readonly feed: NamedStatement;
  /** A page of the feed too large for `feed`, cut by bytes (see `feedCutSql`). */
  readonly feedCut: NamedStatement;
  /** A row when any follows ($1 tx, $2 pos), below the horizon or not: one index probe. */
  readonly feedAhead: NamedStatement;
  private readonly reads = new Map<string, NamedStatement>();
  private readonly cutReads = new Map<string, NamedStatement>();
  private readonly s: string;
  private readonly named: (text: string) => NamedStatement;

  /** `prepared`: named statements, prepared once per connection (not through a transaction pooler). */
  constructor(schema: string, prepared = true) {
    const s = quoteIdentifier(schema);
    this.s = s;
    this.named = prepared ? named : unnamed;
    // Small batches, the hot path (see appendNewSql). The rows arrive as bind-parameter
    // arrays, the envelopes as one text joined by U+001E, which no JSON text can contain
    // (raw control characters are invalid JSON): cheaper to encode and parse than an array
    // literal, which escapes every quote.
    this.appendNew = this.named(appendNewSql(s));
    // The same parameters (but the fifth: the sixth comes fifth) when some ids may be stored
    // already.
    this.appendBatch = this.named(
      appendSql(
        s,
        `SELECT n, session_id, id, occurred_at, envelope, expires_at
         FROM unnest($1::text[], $2::text[], $3::timestamptz[],
                     string_to_array($4::text, E'\\x1e'), $5::timestamptz[])
              WITH ORDINALITY AS u(session_id, id, occurred_at, envelope, expires_at, n)`,
      ),
    );
    // Large batches: the same statement, fed from the staging table the batch was copied into.
    this.appendStaged = this.named(
      appendSql(
        s,
        'SELECT n, session_id, id, occurred_at, envelope, expires_at FROM pg_temp.history_staging',
      ),
    );
    this.writeCheckpoint = this.named(
      `INSERT INTO ${s}.checkpoints (session_id, payload, seq, created_at)
       VALUES ($1, $2::json, $3, $4)
       ON CONFLICT (session_id) DO UPDATE
       SET payload = excluded.payload, seq = excluded.seq, created_at = excluded.created_at`,
    );
    // ::text keeps the JSON exactly as stored (pg would otherwise parse json columns).
    this.readCheckpoint = this.named(
      `SELECT session_id, payload::text AS json, seq, created_at
       FROM ${s}.checkpoints WHERE session_id = $1`,
    );
    this.feed = this.named(feedSql(s));
    this.feedCut = this.named(feedCutSql(s));
    // ORDER BY ... LIMIT 1 rather than EXISTS: a generic plan of EXISTS may pick a Seq Scan,
    // which reads the whole table when nothing follows (the usual case).
    this.feedAhead = this.named(
      `SELECT true AS ahead FROM ${s}.events WHERE (tx, pos) > ($1::xid8, $2::bigint)
       ORDER BY tx, pos LIMIT 1`,
    );
  }

  /**
   * The keyset page query for one combination of optional bounds. Absent bounds
   * are left out of the text (never `COALESCE`d), so every variant is a plain
   * range scan of the (session_id, seq) primary key. Parameters: $1 session,
   * $2 rows, $3 most envelope bytes in a page, $4 now (rows expired at it are
   * skipped, a filter on the scan), then after, from, to in that order when present.
   *
   * Pages are bounded by bytes on the server, so no envelope past the budget
   * leaves the table. `fits` sums `octet_length(envelope)` over the rows first
   * (read from each value's header: a TOASTed envelope is not fetched for it).
   * When they fit in $3, as small events always do, the page is the plain scan;
   * otherwise the answer is one row without its envelope, and the caller reads
   * the page with `readCut`. Measured cheaper on the common path than cutting
   * every page with a window function, which copies every row it passes on.
   */
  read(shape: ReadShape): NamedStatement {
    return this.statement(this.reads, shape, (where, order) => {
      const scan = `SELECT envelope FROM ${this.s}.events WHERE ${where} ${order} LIMIT $2`;
      return `WITH fits AS (
          SELECT coalesce(sum(octet_length(envelope)), 0) <= $3 AS ok FROM (${scan}) AS scanned
        )
        SELECT seq, id, CASE WHEN (SELECT ok FROM fits) THEN envelope END, created_at
        FROM ${this.s}.events WHERE ${where} ${order}
        LIMIT CASE WHEN (SELECT ok FROM fits) THEN $2 ELSE 1 END`;
    });
  }

  /**
   * A page of large envelopes, cut by bytes (same parameters): one `read` found
   * too large, or the one after a page cut so. A running sum keeps the rows that
   * fit in $3 (the first always does); the row the page is cut at, the first
   * whose preceding rows fit (or the second), comes back without its envelope,
   * saying that more rows follow; the rows after it are dropped unread.
   */
  readCut(shape: ReadShape): NamedStatement {
    return this.statement(this.cutReads, shape, (where, order) => {
      return `SELECT seq, id, CASE WHEN n = 1 OR upto <= $3 THEN envelope END, created_at
        FROM (
          SELECT seq, id, envelope, created_at,
                 row_number() OVER w AS n, sum(octet_length(envelope)) OVER w AS upto
          FROM (
            SELECT seq, id, envelope, created_at FROM ${this.s}.events
            WHERE ${where} ${order} LIMIT $2
          ) AS scanned
          WINDOW w AS (${order} ROWS UNBOUNDED PRECEDING)
        ) AS sized
        WHERE n <= 2 OR upto - octet_length(envelope) <= $3
        ${order}`;
    });
  }

  /** One named statement per shape, made by `text` from its WHERE and ORDER BY clauses. */
  private statement(
    cache: Map<string, NamedStatement>,
    shape: ReadShape,
    text: (where: string, order: string) => string,
  ): NamedStatement {
    const key = `${+shape.forward}${+shape.after}${+shape.from}${+shape.to}`;
    let statement = cache.get(key);
    if (!statement) {
      // $4: the page's now (epoch ms read once per page, as ISO text): expired rows are skipped.
      const where = ['session_id = $1', '(expires_at IS NULL OR expires_at > $4)'];
      let n = 4;
      if (shape.after) where.push(`seq ${shape.forward ? '>' : '<'} $${++n}`);
      if (shape.from) where.push(`occurred_at >= $${++n}`);
      if (shape.to) where.push(`occurred_at <= $${++n}`);
      statement = this.named(
        text(where.join(' AND '), `ORDER BY seq ${shape.forward ? 'ASC' : 'DESC'}`),
      );
      cache.set(key, statement);
    }
    return statement;
  }
}

/** Record separator of the envelopes parameter of `appendBatch`. */
export const ENVELOPE_SEPARATOR = '\x1e';

/**
 * The counter upsert of both write statements: `excluded` carries the session's number of new
 * rows (as last_seq and event_count) and now() (as created_at and updated_at). A tombstone
 * (`deleted_at` set: deleted, or locked by a conditional append that wrote nothing) starts
 * afresh: its count and creation time restart, its last_seq goes on. A session of before
 * migration 0003 keeps its NULL created_at and event_count (derived when read).
 *
 * `last_tx` (0004) becomes greatest(its value, this transaction's id), and the batch's rows of
 * the session get it as their feed `tx`: a transaction that took its id before waiting for the
 * session's row lock would otherwise sort before the batch it waited for, out of seq order. A
 * tx at or above the transaction's own id keeps the feed's horizon sound (see readFeed).
 */
const RESERVE = `ON CONFLICT (session_id) DO UPDATE SET
      last_seq = t.last_seq + excluded.last_seq,
      event_count = CASE WHEN t.deleted_at IS NULL THEN t.event_count + excluded.event_count
                         ELSE excluded.event_count END,
      created_at = CASE WHEN t.deleted_at IS NULL THEN t.created_at ELSE excluded.created_at END,
      updated_at = excluded.updated_at,
      deleted_at = NULL,
      last_tx = greatest(t.last_tx, excluded.last_tx)
    RETURNING t.session_id, t.last_seq, t.last_tx`;

/**
 * The sessions' `last_tx` as a session -> tx map, holding only the sessions whose `last_tx` is
 * above this transaction's id (it waited for a session behind a batch with a higher id); NULL
 * when there are none, the usual case. Every other session's `last_tx` is now the
 * transaction's own id, which its rows get without a lookup. A FILTER, not a CASE around the
 * aggregate: an aggregate under a CASE is still computed for every row (measured: 256 sessions
 * built a map of 256 keys per batch for nothing).
 */
const LAST_TXS = `jsonb_object_agg(session_id, last_tx::text)
      FILTER (WHERE last_tx > pg_current_xact_id()) AS last_txs`;

/**
 * The hot path's write of a batch, assuming none of its ids is stored yet (appends are
 * retried rarely): one counter upsert per session reserves the batch's seqs, under a row
 * lock taken in session order (so batches cannot deadlock) and held until commit, which
 * makes seq allocation exact across processes and lets a session's rows commit in seq
 * order; then one plain INSERT. $5 gives each row how many rows of its session follow it
 * in the batch, so its seq is the session's new last_seq minus that. If an id is stored
 * after all, the INSERT raises unique_violation, nothing is written, and the writer runs
 * `appendSql` instead. Returns (session_id, last_seq) per session.
 */
function appendNewSql(s: string): string {
  return `WITH reserved AS (
    INSERT INTO ${s}.sessions AS t (session_id, last_seq, event_count, created_at, updated_at, last_tx)
    SELECT session_id, count(*), count(*), now(), now(), pg_current_xact_id()
    FROM unnest($1::text[]) AS u(session_id)
    GROUP BY session_id ORDER BY session_id COLLATE "C"
    ${RESERVE}
  ), inserted AS (
    INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope, expires_at, tx)
    SELECT u.session_id, (m.last_seqs ->> u.session_id)::bigint - u.after, u.id, u.occurred_at,
           u.envelope, u.expires_at,
           coalesce((m.last_txs ->> u.session_id)::xid8, pg_current_xact_id())
    FROM (SELECT jsonb_object_agg(session_id, last_seq) AS last_seqs, ${LAST_TXS} FROM reserved) AS m,
         unnest($1::text[], $2::text[], $3::timestamptz[],
                string_to_array($4::text, E'\\x1e'), $5::int[], $6::timestamptz[])
           AS u(session_id, id, occurred_at, envelope, after, expires_at)
  )
  SELECT session_id, last_seq FROM reserved`;
}

/**
 * The write of one batch, one statement whatever the number of sessions: `source`
 * yields (n, session_id, id, occurred_at, envelope, expires_at), n being the position in the
 * batch.
 * - `batch`: ids already stored in the session become duplicates (one index probe each).
 * - `reserved`: one upsert per session adds the session's new rows to `last_seq` and
 *   returns it; its row lock, taken in session order (so batches cannot deadlock) and
 *   held until commit, makes seq allocation exact across processes, and rows of a
 *   session commit in seq order.
 * - `numbered`: each new row gets `last_seq - new rows + rank`, via a session -> last_seq
 *   map (a join on a CTE would be planned as a nested loop on unknown row counts).
 * - `inserted`: a plain INSERT, in batch order (its rows take their feed `pos` in that order).
 *   An id stored by another process after this statement's
 *   snapshot raises unique_violation, which rolls the batch back; the writer retries it.
 * Returns (seq, duplicate) in batch order.
 */
function appendSql(s: string, source: string): string {
  return `WITH batch AS MATERIALIZED (
    SELECT b.n, b.session_id, b.id, b.occurred_at, b.envelope, b.expires_at,
           (SELECT e.seq FROM ${s}.events e WHERE e.session_id = b.session_id AND e.id = b.id) AS stored
    FROM (${source}) AS b
  ), ranked AS MATERIALIZED (
    SELECT batch.*,
           row_number() OVER (PARTITION BY session_id, stored IS NULL ORDER BY n) AS rank,
           count(*) FILTER (WHERE stored IS NULL) OVER (PARTITION BY session_id) AS fresh
    FROM batch
  ), reserved AS (
    INSERT INTO ${s}.sessions AS t (session_id, last_seq, event_count, created_at, updated_at, last_tx)
    SELECT session_id, count(*), count(*), now(), now(), pg_current_xact_id()
    FROM batch WHERE stored IS NULL
    GROUP BY session_id ORDER BY session_id COLLATE "C"
    ${RESERVE}
  ), numbered AS MATERIALIZED (
    SELECT r.n, r.session_id, r.id, r.occurred_at, r.envelope, r.expires_at, r.stored,
           coalesce(r.stored, (m.last_seqs ->> r.session_id)::bigint - r.fresh + r.rank) AS seq,
           coalesce((m.last_txs ->> r.session_id)::xid8, pg_current_xact_id()) AS tx
    FROM ranked r,
         (SELECT jsonb_object_agg(session_id, last_seq) AS last_seqs, ${LAST_TXS} FROM reserved) m
  ), inserted AS (
    INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope, expires_at, tx)
    SELECT session_id, seq, id, occurred_at, envelope, expires_at, tx FROM numbered
    WHERE stored IS NULL ORDER BY n
  )
  SELECT seq, stored IS NOT NULL AS duplicate FROM numbered ORDER BY n`;
}

/**
 * The staging table for COPY (`n`: position in the batch), created by the COPY's transaction when
 * its connection has none yet (so any server connection a pooler hands out will do) and emptied
 * at every commit.
 */
export const CREATE_STAGING = `CREATE TEMP TABLE IF NOT EXISTS history_staging (
  n integer, session_id text, id text, occurred_at timestamptz, envelope text, expires_at timestamptz
) ON COMMIT DELETE ROWS`;

export const COPY_STAGING =
  'COPY pg_temp.history_staging (n, session_id, id, occurred_at, envelope, expires_at) FROM STDIN';

/**
 * The rows of a feed page: after ($1 tx, $2 pos), in (tx, pos) order, at most $3, and only
 * below the horizon: `pg_snapshot_xmin` of the statement's snapshot, the oldest transaction
 * still running. Every transaction that could still commit has an id at or above it, and gives
 * its rows a tx at or above its id, so nothing can ever commit before a row delivered: a
 * transaction that took an earlier id but commits later holds back all after it. A keyset
 * range of the (tx, pos) index (a Merge Append of each partition's on a partitioned table).
 * `live`: not expired at $4; expired rows come back too, without their envelope, so the
 * position moves past them.
 */
function feedScan(s: string, columns: string): string {
  return `SELECT ${columns} FROM ${s}.events
    WHERE (tx, pos) > ($1::xid8, $2::bigint)
      AND tx < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
    ORDER BY tx, pos LIMIT $3`;
}

const LIVE = '(expires_at IS NULL OR expires_at > $4)';

/**
 * A feed page, bounded by bytes as stream pages are (`Statements.read`): the live rows'
 * `octet_length(envelope)` is summed first (read from each value's header); when within $5,
 * the page is the plain scan, else the answer is one row with `fits` false and the caller
 * reads `feedCut`. Columns: tx, pos, session_id, seq, id, created_at, live, envelope, fits
 * (tx and pos as text, named apart: ORDER BY a bare output name would sort the text).
 */
function feedSql(s: string): string {
  return `WITH fits AS (
      SELECT coalesce(sum(octet_length(envelope)) FILTER (WHERE live), 0) <= $5 AS ok
      FROM (${feedScan(s, `envelope, ${LIVE} AS live`)}) AS scanned
    )
    SELECT tx::text AS tx_text, pos::text AS pos_text, session_id, seq, id, created_at, ${LIVE},
           CASE WHEN ${LIVE} AND (SELECT ok FROM fits) THEN envelope END, (SELECT ok FROM fits)
    FROM ${s}.events
    WHERE (tx, pos) > ($1::xid8, $2::bigint)
      AND tx < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
    ORDER BY tx, pos LIMIT CASE WHEN (SELECT ok FROM fits) THEN $3 ELSE 1 END`;
}

/**
 * A feed page cut by bytes (same parameters and columns): a running sum of the live rows'
 * sizes keeps the rows within $5, and always the first live row (a larger envelope is a page
 * alone) with the expired rows before it. The rest are left for the next page.
 */
function feedCutSql(s: string): string {
  return `SELECT tx::text AS tx_text, pos::text AS pos_text, session_id, seq, id, created_at, live, envelope, true
    FROM (
      SELECT *, sum(size) OVER (ORDER BY tx, pos ROWS UNBOUNDED PRECEDING) AS upto
      FROM (
        SELECT tx, pos, session_id, seq, id, created_at, live,
               CASE WHEN live THEN envelope END AS envelope,
               CASE WHEN live THEN octet_length(envelope) ELSE 0 END AS size
        FROM (${feedScan(s, `tx, pos, session_id, seq, id, created_at, envelope, ${LIVE} AS live`)}) AS scanned
      ) AS sized
    ) AS summed
    WHERE upto <= $5 OR upto = size
    ORDER BY tx, pos`;
}
