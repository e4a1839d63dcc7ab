import { quoteIdentifier } from './schema-name.js';
import { type NamedStatement, named, unnamed } from './statements.js';

export interface SessionPageShape {
  after: boolean;
  prefix: boolean;
  /** The prefix has an upper bound (see `prefixEnd`). */
  end: boolean;
}

/**
 * The SQL of the session lifecycle (issue 12) on one schema: conditional appends, listing,
 * deletion and purges. The schema name enters only quoted.
 */
export class SessionStatements {
  /**
   * Locks the counter rows of $1 (sorted by the caller in COLLATE "C" order, the order every
   * writer locks them in, so no deadlock), creating a tombstone (last_seq 0) for a session
   * without one: a row lock needs a row. Returns (session_id, last_seq, exists).
   */
  readonly lockSessions: NamedStatement;
  /** The ids among ($1 session, $2 id) pairs stored already: (session_id, id). */
  readonly storedIds: NamedStatement;
  readonly getSession: NamedStatement;
  /** Locks one session's counter row, if it has one (`deleteSession`'s first statement). */
  readonly lockSession: NamedStatement;
  /** Erases a locked session: events, checkpoint, and its row becomes a tombstone. */
  readonly eraseSession: NamedStatement;
  private readonly pages = new Map<string, NamedStatement>();
  private readonly candidates = new Map<string, NamedStatement>();
  private readonly chunks = new Map<string, NamedStatement>();
  private readonly s: string;
  private readonly named: (text: string) => NamedStatement;

  /** `prepared`: named statements (see `Statements`). */
  constructor(schema: string, prepared = true) {
    const s = quoteIdentifier(schema);
    this.s = s;
    this.named = prepared ? named : unnamed;
    this.lockSessions = this.named(
      `INSERT INTO ${s}.sessions AS t (session_id, last_seq, event_count, deleted_at)
       SELECT session_id, 0, 0, now() FROM unnest($1::text[]) WITH ORDINALITY AS u(session_id, n)
       ORDER BY n
       ON CONFLICT (session_id) DO UPDATE SET last_seq = t.last_seq
       RETURNING t.session_id, t.last_seq, t.deleted_at IS NULL AS exists`,
    );
    this.storedIds = this.named(
      `SELECT e.session_id, e.id FROM unnest($1::text[], $2::text[]) AS u(session_id, id)
       JOIN ${s}.events e ON e.session_id = u.session_id AND e.id = u.id`,
    );
    this.getSession = this.named(
      `SELECT ${sessionColumns(s)} FROM ${s}.sessions s
       WHERE s.session_id = $1 AND s.deleted_at IS NULL`,
    );
    this.lockSession = this.named(`SELECT 1 FROM ${s}.sessions WHERE session_id = $1 FOR UPDATE`);
    // A statement of its own after the lock: its snapshot sees every append committed before
    // the lock was granted, so none of them survives the delete.
    this.eraseSession = this.named(
      `WITH gone AS (
         DELETE FROM ${s}.events WHERE session_id = $1 RETURNING 1
       ), checkpoint AS (
         DELETE FROM ${s}.checkpoints WHERE session_id = $1
       ), tombstone AS (
         UPDATE ${s}.sessions
         SET deleted_at = now(), event_count = 0, created_at = NULL, updated_at = NULL
         WHERE session_id = $1 AND deleted_at IS NULL
       )
       SELECT count(*)::int AS deleted FROM gone`,
    );
  }

  /**
   * A page of existing sessions in COLLATE "C" order, one statement per shape so each is a
   * plain range scan of `sessions_session_id_c`: $1 rows, then after (exclusive), prefix
   * (inclusive lower bound) and its end (exclusive upper bound) when present.
   */
  listSessions(shape: SessionPageShape): NamedStatement {
    const key = `${+shape.after}${+shape.prefix}${+shape.end}`;
    let statement = this.pages.get(key);
    if (!statement) {
      const where = ['s.deleted_at IS NULL'];
      let n = 1;
      if (shape.after) where.push(`s.session_id COLLATE "C" > $${++n}`);
      if (shape.prefix) where.push(`s.session_id COLLATE "C" >= $${++n}`);
      if (shape.end) where.push(`s.session_id COLLATE "C" < $${++n}`);
      statement = this.named(
        `SELECT ${sessionColumns(this.s)} FROM ${this.s}.sessions s
         WHERE ${where.join(' AND ')}
         ORDER BY s.session_id COLLATE "C" LIMIT $1`,
      );
      this.pages.set(key, statement);
    }
    return statement;
  }

  /**
   * Up to $1 events to purge, as (session_id, seq, ctid): expired at $2 (through the partial index
   * on expires_at), and with the retention rules, occurred at or before $3 (maxAgeMs: a scan
   * that stops at $1 rows) and beyond the newest $4 of their session (maxEventsPerSession:
   * sessions over the count, then the primary key backwards). The newest $4 are counted among
   * the events the other rules keep, so a session is left with $4 events, not fewer. Seqs are
   * never reused, so a (session_id, seq) found here names the same event when it is deleted;
   * the ctid says where the row was.
   */
  purgeCandidates(maxAge: boolean, maxEvents: boolean): NamedStatement {
    const key = `${+maxAge}${+maxEvents}`;
    let statement = this.candidates.get(key);
    if (!statement) {
      const s = this.s;
      const parts = [
        `(SELECT session_id, seq, ctid FROM ${s}.events WHERE expires_at <= $2 LIMIT $1)`,
      ];
      let n = 2;
      const kept = ['(e.expires_at IS NULL OR e.expires_at > $2)'];
      if (maxAge) {
        const cutoff = `$${++n}`;
        parts.push(
          `(SELECT session_id, seq, ctid FROM ${s}.events WHERE occurred_at <= ${cutoff} LIMIT $1)`,
        );
        kept.push(`e.occurred_at > ${cutoff}`);
      }
      if (maxEvents) {
        const keep = `$${++n}`;
        parts.push(
          `(SELECT x.session_id, x.seq, x.ctid FROM ${s}.sessions t CROSS JOIN LATERAL (
              SELECT e.session_id, e.seq, e.ctid FROM ${s}.events e
              WHERE e.session_id = t.session_id AND ${kept.join(' AND ')}
              ORDER BY e.seq DESC OFFSET ${keep} LIMIT $1
            ) AS x
            WHERE t.deleted_at IS NULL AND coalesce(t.event_count, ${keep} + 1) > ${keep}
            LIMIT $1)`,
        );
      }
      statement = this.named(
        `SELECT session_id, seq, ctid FROM (${parts.join(' UNION ')}) AS c LIMIT $1`,
      );
      this.candidates.set(key, statement);
    }
    return statement;
  }

  /**
   * One chunk of a purge, one statement in autocommit (parameters as `purgeCandidates`):
   * - `candidates`: the events to remove, found without locks;
   * - `locked`: their sessions' counter rows, locked in COLLATE "C" order, the order appends
   *   lock them in (no deadlock; appends of those sessions wait for this statement only). The
   *   DELETE joins it, so every lock is taken before any row is deleted;
   * - `gone`: the events deleted where their ctid says (a TID scan: probing the primary key
   *   for each was a quarter of a chunk's execution), if the row there is still the
   *   candidate's (session_id, seq). Seqs are never reused, so a candidate names the same
   *   event; a row that moved since (events are never updated, but `VACUUM FULL` or `CLUSTER`
   *   move them) is left for a later chunk, which finds it again where it is;
   * - the sessions' event_count goes down (last_seq is not touched). A session of before
   *   migration 0003 gets its created_at / updated_at from its events before they go (the
   *   statement's snapshot), so they survive a purge of all of them. An UPDATE of a row
   *   updated since that snapshot applies to its latest version (READ COMMITTED).
   * The sessions are looked up with `= ANY (ARRAY(...))`, an index condition: joined to a CTE
   * of unknown size, they were planned as a hash join over a scan of `sessions`.
   * Returns (candidates found, events deleted, sessions that lost some).
   */
  purgeChunk(maxAge: boolean, maxEvents: boolean): NamedStatement {
    const key = `${+maxAge}${+maxEvents}`;
    let statement = this.chunks.get(key);
    if (!statement) {
      const s = this.s;
      statement = this.named(
        `WITH candidates AS MATERIALIZED (${this.purgeCandidates(maxAge, maxEvents).text}),
        locked AS MATERIALIZED (
          SELECT session_id FROM ${s}.sessions
          WHERE session_id = ANY (ARRAY(SELECT DISTINCT session_id FROM candidates))
          ORDER BY session_id COLLATE "C" FOR UPDATE
        ), gone AS (
          DELETE FROM ${s}.events e USING candidates c
          WHERE e.ctid = c.ctid AND e.session_id = c.session_id AND e.seq = c.seq
            AND e.session_id IN (SELECT session_id FROM locked)
          RETURNING e.session_id
        ), lost AS (
          SELECT session_id, count(*) AS n FROM gone GROUP BY session_id
        ), counted AS (
          UPDATE ${s}.sessions t
          SET event_count = t.event_count - lost.n,
              created_at = coalesce(t.created_at, (${firstCreatedAt(s, 't', 'ASC')})),
              updated_at = coalesce(t.updated_at, (${firstCreatedAt(s, 't', 'DESC')}))
          FROM lost
          WHERE t.session_id = lost.session_id
            AND t.session_id = ANY (ARRAY(SELECT session_id FROM lost))
          RETURNING lost.n
        )
        SELECT (SELECT count(*) FROM candidates)::int AS found,
               coalesce(sum(n), 0)::int AS deleted, count(*)::int AS sessions
        FROM counted`,
      );
      this.chunks.set(key, statement);
    }
    return statement;
  }
}

/**
 * The columns of a `StoredSession` from sessions `s`. Sessions of before migration 0003 have
 * NULL metadata: their count and times come from their events (coalesce evaluates the
 * subquery only then; each is one probe of the primary key, the count a range scan of it).
 */
function sessionColumns(s: string): string {
  return `s.session_id, s.last_seq,
    coalesce(s.event_count, (SELECT count(*) FROM ${s}.events e WHERE e.session_id = s.session_id)) AS event_count,
    coalesce(s.created_at, (${firstCreatedAt(s, 's', 'ASC')})) AS created_at,
    coalesce(s.updated_at, (${firstCreatedAt(s, 's', 'DESC')})) AS updated_at`;
}

/** created_at of the session's first (ASC) or last (DESC) stored event. */
function firstCreatedAt(s: string, alias: string, order: 'ASC' | 'DESC'): string {
  return `SELECT e.created_at FROM ${s}.events e WHERE e.session_id = ${alias}.session_id
          ORDER BY e.seq ${order} LIMIT 1`;
}

/**
 * The least string greater than every string starting with `prefix`, in code point (UTF-8
 * byte) order: the prefix with its last code point incremented (skipping the surrogates).
 * Undefined when there is none (a prefix of only U+10FFFF): then the range is open above.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) {
      points.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return undefined;
}
