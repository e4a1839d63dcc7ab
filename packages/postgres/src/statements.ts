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
  readonly appendStaged: NamedStatement;
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
    // The COPY path: the same function, fed from the staging table the batch was copied into.
    this.appendStaged = named(
      `SELECT r_seq, r_duplicate
       FROM (SELECT array_agg(session_id ORDER BY n) AS session_ids, array_agg(id ORDER BY n) AS ids,
                    array_agg(occurred_at ORDER BY n) AS occurred_at,
                    array_agg(envelope ORDER BY n) AS envelopes
             FROM pg_temp.history_staging) AS staged,
            LATERAL ${s}.append_batch($1::text[], session_ids, ids, occurred_at, envelopes)`,
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

/** Per-connection staging table for COPY (`n`: position in the batch); emptied at every commit. */
export const CREATE_STAGING = `CREATE TEMP TABLE IF NOT EXISTS history_staging (
  n integer, session_id text, id text, occurred_at timestamptz, envelope json
) ON COMMIT DELETE ROWS`;

export const COPY_STAGING =
  'COPY pg_temp.history_staging (n, session_id, id, occurred_at, envelope) FROM STDIN';
