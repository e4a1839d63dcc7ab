import { createHash } from 'node:crypto';
import { quoteIdentifier } from './schema-name.js';

/** A statement with a stable name, so each pooled connection prepares it once. */
export interface NamedStatement {
  name: string;
  text: string;
}

export interface ReadShape {
  forward: boolean;
  after: boolean;
  from: boolean;
  to: boolean;
}

function named(text: string): NamedStatement {
  // Same text, same name: pg refuses a name reused with other text on one connection.
  return { name: `history_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`, text };
}

/** Every SQL text the backend runs on one schema; the schema name enters only quoted. */
export class Statements {
  readonly appendBatch: NamedStatement;
  readonly lockSessions: NamedStatement;
  readonly findExisting: NamedStatement;
  readonly insertStaged: NamedStatement;
  readonly updateSessions: NamedStatement;
  readonly writeCheckpoint: NamedStatement;
  readonly readCheckpoint: NamedStatement;
  private readonly reads = new Map<string, NamedStatement>();
  private readonly s: string;

  constructor(schema: string) {
    const s = quoteIdentifier(schema);
    this.s = s;
    // The whole small-batch write in one round trip (migrations/postgres/0001_initial.sql).
    this.appendBatch = named(
      `SELECT r_seq, r_duplicate
       FROM ${s}.append_batch($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::json[])`,
    );
    // COPY path, step by step. Creates missing session rows and row-locks all of them, in the caller's (sorted) order so
    // two batches touching the same sessions cannot deadlock. DO UPDATE (not DO NOTHING) takes
    // the lock and returns the latest committed last_seq.
    this.lockSessions = named(
      `INSERT INTO ${s}.sessions AS t (session_id, last_seq)
       SELECT k, 0 FROM unnest($1::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n
       ON CONFLICT (session_id) DO UPDATE SET last_seq = t.last_seq
       RETURNING session_id, last_seq`,
    );
    // Runs after the locks, in a new snapshot: sees every committed write of those sessions.
    this.findExisting = named(
      `SELECT e.session_id, e.id, e.seq FROM ${s}.events e
       JOIN unnest($1::text[], $2::text[]) AS k(session_id, id)
         ON e.session_id = k.session_id AND e.id = k.id`,
    );
    this.insertStaged = named(
      `INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope)
       SELECT session_id, seq, id, occurred_at, envelope FROM pg_temp.history_staging
       ON CONFLICT DO NOTHING`,
    );
    this.updateSessions = named(
      `UPDATE ${s}.sessions AS t SET last_seq = v.last_seq
       FROM unnest($1::text[], $2::bigint[]) AS v(session_id, last_seq)
       WHERE t.session_id = v.session_id`,
    );
    this.writeCheckpoint = named(
      `INSERT INTO ${s}.checkpoints (session_id, payload, seq, created_at)
       VALUES ($1, $2::json, $3, $4)
       ON CONFLICT (session_id) DO UPDATE
       SET payload = excluded.payload, seq = excluded.seq, created_at = excluded.created_at`,
    );
    // ::text keeps the JSON exactly as stored (pg would otherwise parse json columns).
    this.readCheckpoint = named(
      `SELECT session_id, payload::text AS json, seq, created_at
       FROM ${s}.checkpoints WHERE session_id = $1`,
    );
  }

  /**
   * The keyset page query for one combination of optional bounds. Absent bounds
   * are left out of the text (never `COALESCE`d), so every variant is a plain
   * range scan of the (session_id, seq) primary key. Parameters: $1 session,
   * $2 limit, then after, from, to in that order when present.
   */
  read(shape: ReadShape): NamedStatement {
    const key = `${+shape.forward}${+shape.after}${+shape.from}${+shape.to}`;
    let statement = this.reads.get(key);
    if (!statement) {
      const where = ['session_id = $1'];
      let n = 2;
      if (shape.after) where.push(`seq ${shape.forward ? '>' : '<'} $${++n}`);
      if (shape.from) where.push(`occurred_at >= $${++n}`);
      if (shape.to) where.push(`occurred_at <= $${++n}`);
      statement = named(
        `SELECT seq, session_id, id, envelope::text AS json, created_at
         FROM ${this.s}.events WHERE ${where.join(' AND ')}
         ORDER BY seq ${shape.forward ? 'ASC' : 'DESC'} LIMIT $2`,
      );
      this.reads.set(key, statement);
    }
    return statement;
  }
}

/** Per-connection staging table for COPY; emptied at every commit. */
export const CREATE_STAGING = `CREATE TEMP TABLE IF NOT EXISTS history_staging (
  session_id text, seq bigint, id text, occurred_at timestamptz, envelope json
) ON COMMIT DELETE ROWS`;

export const COPY_STAGING =
  'COPY pg_temp.history_staging (session_id, seq, id, occurred_at, envelope) FROM STDIN';
