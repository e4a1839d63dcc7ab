import type { IntegrityProblem } from '@history/core';
import {
  type DuplicateIds,
  type IntegrityCollector,
  idHash,
  inspectStoredEnvelope,
} from '@history/core/backend';
import type pg from 'pg';

/** Rows per FETCH of a cursor. */
const FETCH_ROWS = 256;
/** Rows per page when a session is read again for the ids whose hash repeated. */
const ID_PAGE = 10_000;

interface SessionRow {
  session_id: string;
  last_seq: string;
  event_count: string | null;
  deleted: boolean;
  last_tx: string | null;
}

interface EventRow {
  session_id: string;
  seq: string;
  id: string;
  occurred_ms: number;
  expires_ms: number | null;
  envelope: string;
  tx: string | null;
  pos: string | null;
}

/** An epoch-milliseconds column that does not depend on the server's float rounding (PG 13). */
const millis = (column: string) =>
  `round(extract(epoch FROM date_trunc('milliseconds', ${column})) * 1000)::float8`;

/**
 * Reads `events` in primary-key order through one cursor and `sessions` in the same order
 * through another (both `ORDER BY session_id`, so one collation orders both), checking each
 * session with its events. Events of a session without a `sessions` row are found first by a
 * walk of the distinct session ids (one index probe each), so the merge only ever looks for
 * sessions that exist.
 */
export async function verifyPostgresRows(
  client: pg.PoolClient,
  s: string,
  check: IntegrityCollector,
  duplicates: DuplicateIds,
): Promise<void> {
  const orphans = await sessionsWithoutRow(client, s, check);
  const sessions = new Cursor<SessionRow>(
    client,
    'history_verify_sessions',
    `SELECT t.session_id, t.last_seq::text AS last_seq, t.event_count::text AS event_count,
            t.deleted_at IS NOT NULL AS deleted, t.last_tx::text AS last_tx
     FROM ${s}.sessions t ORDER BY t.session_id`,
  );
  const events = new Cursor<EventRow>(
    client,
    'history_verify_events',
    // Ordered by the table's columns (e.), not the text ones of the same names: the primary key's order.
    `SELECT e.session_id, e.seq::text AS seq, e.id, ${millis('e.occurred_at')} AS occurred_ms,
            ${millis('e.expires_at')} AS expires_ms, e.envelope, e.tx::text AS tx, e.pos::text AS pos
     FROM ${s}.events e ORDER BY e.session_id, e.seq`,
  );
  await sessions.open();
  await events.open();
  const finish = async (session: SessionCheck | undefined) => {
    if (session) await session.finish(client);
  };
  let current: SessionCheck | undefined;
  let orphan: OrphanCheck | undefined;
  for (let row = await events.next(); row; row = await events.next()) {
    if (orphans.has(row.session_id)) {
      if (orphan?.sessionId !== row.session_id) orphan = new OrphanCheck(s, check, row.session_id);
      orphan.event(row);
      continue;
    }
    if (current?.sessionId !== row.session_id) {
      await finish(current);
      current = undefined;
      // Sessions before this one in the common order have no events.
      for (let next = await sessions.next(); next; next = await sessions.next()) {
        const session = new SessionCheck(s, check, duplicates, next);
        if (next.session_id === row.session_id) {
          current = session;
          break;
        }
        await finish(session);
      }
      if (!current) break; // Not reached: every session id without a row is an orphan.
    }
    current.event(row);
    if (events.drained) await check.pause();
  }
  await finish(current);
  for (let next = await sessions.next(); next; next = await sessions.next()) {
    await finish(new SessionCheck(s, check, duplicates, next));
  }
}

/** A cursor of the transaction, fetched `FETCH_ROWS` at a time. */
class Cursor<T extends pg.QueryResultRow> {
  private rows: T[] = [];
  private at = 0;
  private done = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly name: string,
    private readonly sql: string,
  ) {}

  /** Whether the last `next` took the last row of a fetch. */
  get drained(): boolean {
    return this.at === this.rows.length;
  }

  async open(): Promise<void> {
    await this.client.query(`DECLARE ${this.name} NO SCROLL CURSOR FOR ${this.sql}`);
  }

  async next(): Promise<T | undefined> {
    if (this.at === this.rows.length) {
      if (this.done) return undefined;
      this.rows = (await this.client.query<T>(`FETCH ${FETCH_ROWS} FROM ${this.name}`)).rows;
      this.at = 0;
      this.done = this.rows.length < FETCH_ROWS;
      if (this.rows.length === 0) return undefined;
    }
    return this.rows[this.at++];
  }
}

/**
 * The session ids of `events` that `sessions` has no row for, reported once each: a walk
 * of the distinct ids along the primary key (one probe per session, not a scan of the rows).
 */
async function sessionsWithoutRow(
  client: pg.PoolClient,
  s: string,
  check: IntegrityCollector,
): Promise<Set<string>> {
  const { rows } = await client.query<{ session_id: string }>(
    `WITH RECURSIVE ids AS (
       (SELECT session_id FROM ${s}.events ORDER BY session_id LIMIT 1)
       UNION ALL
       SELECT (SELECT e.session_id FROM ${s}.events e WHERE e.session_id > ids.session_id
               ORDER BY e.session_id LIMIT 1)
       FROM ids WHERE ids.session_id IS NOT NULL
     )
     SELECT session_id FROM ids
     WHERE session_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM ${s}.sessions t WHERE t.session_id = ids.session_id)`,
  );
  for (const { session_id } of rows) {
    check.add({
      kind: 'metadata-mismatch',
      sessionId: session_id,
      location: `${s}.sessions (${JSON.stringify(session_id)})`,
      message: 'events are stored for a session that has no sessions row',
    });
  }
  return new Set(rows.map((r) => r.session_id));
}

/** Where an event row is: its table and primary key. */
const eventAt = (s: string, sessionId: string, seq: number | string) =>
  `${s}.events (${JSON.stringify(sessionId)}, ${seq})`;

/** The checks of an event row that need nothing of its session: its envelope and columns. */
function envelopeProblem(row: EventRow): string | undefined {
  const checked = inspectStoredEnvelope(row.envelope, { id: row.id, sessionId: row.session_id });
  if ('problem' in checked) return checked.problem;
  const { occurredAtMs, expiresAtMs } = checked.envelope;
  if (occurredAtMs !== row.occurred_ms) {
    return `occurred_at (${new Date(row.occurred_ms).toISOString()}) is not the envelope's occurredAt`;
  }
  // Rows stored before migration 0003 have no expires_at (tx 0: stored before 0004 too).
  const legacy = row.expires_ms === null && row.tx === '0';
  if ((expiresAtMs ?? null) !== row.expires_ms && !legacy) {
    return `expires_at (${row.expires_ms === null ? 'NULL' : new Date(row.expires_ms).toISOString()}) is not the envelope's expiry (${expiresAtMs === undefined ? 'none' : new Date(expiresAtMs).toISOString()})`;
  }
  return undefined;
}

/** Events of a session without a `sessions` row: their envelopes are still checked. */
class OrphanCheck {
  constructor(
    private readonly s: string,
    private readonly check: IntegrityCollector,
    readonly sessionId: string,
  ) {}

  event(row: EventRow): void {
    this.check.countEvent();
    const seq = Number(row.seq);
    const problem = envelopeProblem(row);
    if (problem) {
      this.check.add({
        kind: 'invalid-json',
        sessionId: this.sessionId,
        seq,
        location: eventAt(this.s, this.sessionId, row.seq),
        message: problem,
      });
    }
  }
}

class SessionCheck {
  readonly sessionId: string;
  private stored = 0;
  private previousSeq: number | undefined;
  private previousFeed: { tx: bigint; pos: bigint } | undefined;
  private readonly lastSeq: number;
  private readonly lastTx: bigint | undefined;

  constructor(
    private readonly s: string,
    private readonly check: IntegrityCollector,
    private readonly duplicates: DuplicateIds,
    private readonly row: SessionRow,
  ) {
    this.sessionId = row.session_id;
    this.lastSeq = Number(row.last_seq);
    this.lastTx = row.last_tx === null ? undefined : BigInt(row.last_tx);
  }

  event(row: EventRow): void {
    this.check.countEvent();
    this.stored++;
    this.duplicates.add(row.id);
    const seq = Number(row.seq);
    const at = eventAt(this.s, this.sessionId, row.seq);
    const problem = envelopeProblem(row);
    if (problem) this.add('invalid-json', seq, at, problem);
    this.checkFeed(row, seq, at);
    const previous = this.previousSeq;
    this.previousSeq = seq;
    if (previous !== undefined && seq <= previous) {
      this.add(
        seq === previous ? 'duplicate' : 'seq-order',
        seq,
        at,
        seq === previous ? `seq ${seq} is stored twice` : `seq ${seq} comes after seq ${previous}`,
      );
    }
    if (seq > this.lastSeq) {
      this.add(
        'metadata-mismatch',
        seq,
        at,
        `seq ${seq} is past the session's last_seq ${this.lastSeq}: an append would hand it out again`,
      );
    }
  }

  /** Every row has its feed position, and the session's positions follow its seqs. */
  private checkFeed(row: EventRow, seq: number, at: string): void {
    if (row.tx === null || row.pos === null) {
      this.add(
        'index-mismatch',
        seq,
        at,
        `the row has no feed position (tx ${row.tx ?? 'NULL'}, pos ${row.pos ?? 'NULL'}): the feed never yields it`,
      );
      return;
    }
    const feed = { tx: BigInt(row.tx), pos: BigInt(row.pos) };
    const previous = this.previousFeed;
    this.previousFeed = feed;
    if (
      previous &&
      (feed.tx < previous.tx || (feed.tx === previous.tx && feed.pos <= previous.pos))
    ) {
      this.add(
        'seq-order',
        seq,
        at,
        `feed position ${feed.tx}.${feed.pos} is not after the previous seq's ${previous.tx}.${previous.pos}: the feed would yield the session out of seq order`,
      );
    }
    if (this.lastTx !== undefined && feed.tx > this.lastTx) {
      this.add(
        'metadata-mismatch',
        seq,
        at,
        `tx ${feed.tx} is above the session's last_tx ${this.lastTx}: its next append could come before it in the feed`,
      );
    }
  }

  async finish(client: pg.PoolClient): Promise<void> {
    const { row, stored } = this;
    const where = `${this.s}.sessions (${JSON.stringify(this.sessionId)})`;
    const count = row.event_count === null ? undefined : Number(row.event_count);
    if (row.deleted) {
      if (stored > 0) {
        this.add(
          'metadata-mismatch',
          undefined,
          where,
          `${stored} events are stored, but the session is deleted (deleted_at is set)`,
        );
      } else if (count !== undefined && count !== 0) {
        this.add(
          'metadata-mismatch',
          undefined,
          where,
          `event_count is ${count}, but the session is deleted (deleted_at is set)`,
        );
      }
    } else {
      this.check.sessions++;
      // A purge or delete lowers event_count with the rows it removes; sessions of before
      // migration 0003 (NULL) record nothing.
      if (count !== undefined && stored < count) {
        this.add(
          'seq-gap',
          undefined,
          where,
          `event_count is ${count}, ${stored} events are stored: ${count - stored} missing that no purge or delete accounts for`,
        );
      } else if (count !== undefined && stored > count) {
        this.add(
          'metadata-mismatch',
          undefined,
          where,
          `event_count is ${count}, ${stored} events are stored`,
        );
      }
    }
    const repeated = this.duplicates.repeated();
    if (repeated.size > 0) await this.reportDuplicateIds(client, repeated);
  }

  /** Reads the session's ids again, in pages, for those whose hash repeated. */
  private async reportDuplicateIds(
    client: pg.PoolClient,
    hashes: ReadonlySet<number>,
  ): Promise<void> {
    const first = new Map<string, number>();
    for (let after = -1; ; ) {
      const { rows } = await client.query<{ seq: string; id: string }>(
        `SELECT e.seq::text AS seq, e.id FROM ${this.s}.events e
         WHERE e.session_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT ${ID_PAGE}`,
        [this.sessionId, after],
      );
      for (const { seq, id } of rows) {
        if (!hashes.has(idHash(id))) continue;
        const seen = first.get(id);
        if (seen === undefined) first.set(id, Number(seq));
        else if (seen !== Number(seq)) {
          this.add(
            'duplicate',
            Number(seq),
            eventAt(this.s, this.sessionId, seq),
            `event id ${JSON.stringify(id)} is stored again (first at seq ${seen})`,
          );
        }
      }
      if (rows.length < ID_PAGE) break;
      after = Number(rows.at(-1)!.seq);
    }
  }

  private add(
    kind: IntegrityProblem['kind'],
    seq: number | undefined,
    location: string,
    message: string,
  ): void {
    this.check.add({
      kind,
      sessionId: this.sessionId,
      ...(seq === undefined ? {} : { seq }),
      location,
      message,
    });
  }
}
