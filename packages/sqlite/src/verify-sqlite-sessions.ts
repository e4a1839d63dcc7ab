import type { IntegrityProblem } from '@history/core';
import {
  type DuplicateIds,
  type IntegrityCollector,
  idHash,
  inspectStoredEnvelope,
} from '@history/core/backend';
import type Database from 'better-sqlite3';
import { TIME_BLOCK } from './time-blocks.js';

/** Sessions read per statement. */
const SESSION_PAGE = 256;
/** Rows read per statement, and the JSON (characters) after which a page ends early. */
const EVENT_PAGE = 1000;
const PAGE_CHARS = 4 * 1024 * 1024;

interface SessionRow {
  sid: number;
  name: string;
  created_at_ms: number | null;
  seq_base: number;
  purged_events: number;
  seq_floor: number;
}

interface EventRow {
  pos: number;
  seq: number;
  id_hash: number;
  id: string;
  occurred_at_ms: number;
  expires_at_ms: number | null;
  json: string;
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: Database.Database) {
  return {
    sessions: db.prepare<[number, number], SessionRow>(
      'SELECT sid, name, created_at_ms, seq_base, purged_events, seq_floor FROM session_state ' +
        'WHERE sid > ? ORDER BY sid LIMIT ?',
    ),
    /** A keyset page in the (sid, seq, id_hash) index's own order, rowid last. */
    events: db.prepare<[number, number, number, number, number], EventRow>(
      'SELECT pos, seq, id_hash, id, occurred_at_ms, expires_at_ms, json FROM events ' +
        'WHERE sid = ? AND (seq, id_hash, pos) > (?, ?, ?) ORDER BY seq, id_hash, pos LIMIT ?',
    ),
    timeBlocks: db.prepare<
      [number, number, number],
      { block: number; min_ms: number; max_ms: number }
    >('SELECT block, min_ms, max_ms FROM time_blocks WHERE sid = ? AND block >= ? AND block <= ?'),
    /** Stored events of sealed blocks without their event_ids row. Bound: sid, sealed, limit. */
    missingIds: db.prepare<[number, number, number], { seq: number }>(
      'SELECT e.seq FROM events e WHERE e.sid = ? AND e.seq <= ? AND NOT EXISTS ' +
        '(SELECT 1 FROM event_ids x WHERE x.sid = e.sid AND x.id_hash = e.id_hash AND x.seq = e.seq) ' +
        'ORDER BY e.seq LIMIT ?',
    ),
    /** event_ids rows matching no stored event of a sealed block. Bound: sid, sealed, limit. */
    extraIds: db.prepare<[number, number, number], { seq: number; id_hash: number }>(
      'SELECT x.seq, x.id_hash FROM event_ids x WHERE x.sid = ? AND NOT EXISTS ' +
        '(SELECT 1 FROM events e WHERE e.sid = x.sid AND e.seq = x.seq AND e.id_hash = x.id_hash AND e.seq <= ?) ' +
        'ORDER BY x.seq LIMIT ?',
    ),
    /** The event's `expiries` row. Bound: expiry, pos. */
    expiry: db
      .prepare<[number, number], number>(
        'SELECT 1 FROM expiries WHERE expires_at_ms = ? AND pos = ?',
      )
      .pluck(),
    byHash: db.prepare<[number, number], { seq: number; pos: number; id: string }>(
      'SELECT seq, pos, id FROM events WHERE sid = ? AND id_hash = ? ORDER BY seq',
    ),
  };
}

/**
 * Every session of `session_state`, in sid order, each with its events in seq order (keyset
 * pages of the `(sid, seq, id_hash)` index): envelopes, order, duplicates, gaps, and the
 * session's record of them (`seq_base`, `purged_events`, `seq_floor`), its time blocks and
 * its sealed ids.
 */
export async function verifySqliteSessions(
  db: Database.Database,
  check: IntegrityCollector,
  duplicates: DuplicateIds,
): Promise<void> {
  const statements = prepare(db);
  for (let after = -1; ; ) {
    const rows = statements.sessions.all(after, SESSION_PAGE);
    for (const row of rows) {
      await new SessionCheck(statements, check, duplicates, row).run();
    }
    if (rows.length < SESSION_PAGE) break;
    after = rows.at(-1)!.sid;
  }
}

class SessionCheck {
  /** Rows counted towards the session's record: in its current life, each seq once. */
  private stored = 0;
  private previous: EventRow | undefined;
  /** The next seq an append would have handed out after the rows seen so far. */
  private next: number;
  /** With no purge since the session was created, every seq after seq_base must be stored. */
  private readonly exact: boolean;
  private blocks = new Map<number, { min_ms: number; max_ms: number }>();
  private readonly badBlocks = new Set<number>();

  constructor(
    private readonly statements: Statements,
    private readonly check: IntegrityCollector,
    private readonly duplicates: DuplicateIds,
    private readonly row: SessionRow,
  ) {
    this.next = row.seq_base + 1;
    this.exact = row.purged_events === 0;
  }

  async run(): Promise<void> {
    const { row, check, statements } = this;
    if (row.created_at_ms !== null) check.sessions++;
    let cursor = [Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    for (;;) {
      const page: EventRow[] = [];
      let chars = 0;
      for (const event of statements.events.iterate(
        row.sid,
        cursor[0]!,
        cursor[1]!,
        cursor[2]!,
        EVENT_PAGE,
      )) {
        page.push(event);
        chars += event.json.length;
        if (chars >= PAGE_CHARS) break;
      }
      if (page.length === 0) break;
      this.loadBlocks(page[0]!.seq, page.at(-1)!.seq);
      for (const event of page) this.event(event);
      const last = page.at(-1)!;
      cursor = [last.seq, last.id_hash, last.pos];
      await check.pause();
      if (page.length < EVENT_PAGE && chars < PAGE_CHARS) break;
    }
    this.finish();
  }

  private loadBlocks(firstSeq: number, lastSeq: number): void {
    this.blocks = new Map();
    const rows = this.statements.timeBlocks.all(
      this.row.sid,
      Math.floor((firstSeq - 1) / TIME_BLOCK),
      Math.floor((lastSeq - 1) / TIME_BLOCK),
    );
    for (const b of rows) this.blocks.set(b.block, b);
  }

  private event(event: EventRow): void {
    const { row, check } = this;
    check.countEvent();
    this.duplicates.add(event.id);
    const at = `events pos=${event.pos}`;
    if (event.id_hash !== idHash(event.id)) {
      this.add(
        'index-mismatch',
        event.seq,
        at,
        `id_hash ${event.id_hash} is not the hash of the id: a retry of it would not be found, and stored twice`,
      );
    }
    this.checkEnvelope(event, at);
    this.checkTimeBlock(event);
    this.checkExpiry(event);
    const previous = this.previous;
    this.previous = event;
    if (previous && event.pos <= previous.pos) {
      this.add(
        'seq-order',
        event.seq,
        at,
        `seq ${event.seq} has feed position ${event.pos}, not after seq ${previous.seq}'s ${previous.pos}: the feed would yield the session out of seq order`,
      );
    }
    if (event.seq <= row.seq_base) {
      this.add(
        'metadata-mismatch',
        event.seq,
        at,
        `seq ${event.seq} is at or below seq_base ${row.seq_base}: it belongs to the session's deleted life`,
      );
      return;
    }
    if (previous?.seq === event.seq) {
      this.add(
        'duplicate',
        event.seq,
        at,
        `seq ${event.seq} is stored twice (also at pos ${previous.pos})`,
      );
      return;
    }
    this.stored++;
    if (this.exact && event.seq > this.next) {
      this.add(
        'seq-gap',
        this.next,
        at,
        `${seqsAre(this.next, event.seq - 1)} missing, and session_state records no purge`,
      );
    }
    this.next = Math.max(this.next, event.seq + 1);
  }

  private checkEnvelope(event: EventRow, at: string): void {
    const checked = inspectStoredEnvelope(event.json, { id: event.id, sessionId: this.row.name });
    let problem: string | undefined;
    if ('problem' in checked) {
      problem = checked.problem;
    } else if (checked.envelope.occurredAtMs !== event.occurred_at_ms) {
      problem = `occurred_at_ms ${event.occurred_at_ms} is not the envelope's occurredAt (${checked.envelope.occurredAtMs})`;
    } else if ((checked.envelope.expiresAtMs ?? null) !== event.expires_at_ms) {
      problem = `expires_at_ms ${event.expires_at_ms} is not the envelope's expiry (${checked.envelope.expiresAtMs ?? null})`;
    }
    if (problem) this.add('invalid-json', event.seq, at, problem);
  }

  /** An event with an expiry needs its `expiries` row: purges find expired events there. */
  private checkExpiry(event: EventRow): void {
    const expires = event.expires_at_ms;
    if (expires === null || this.statements.expiry.get(expires, event.pos) !== undefined) return;
    this.add(
      'index-mismatch',
      event.seq,
      `expiries pos=${event.pos}`,
      `seq ${event.seq} expires at ${expires} but has no expiries row: no purge removes it`,
    );
  }

  /** A sealed block's bounds must hold its events' times: a time-range read skips the block otherwise. */
  private checkTimeBlock(event: EventRow): void {
    const block = Math.floor((event.seq - 1) / TIME_BLOCK);
    const bounds = this.blocks.get(block);
    if (!bounds || this.badBlocks.has(block)) return;
    const t = event.occurred_at_ms;
    if (t >= bounds.min_ms && t <= bounds.max_ms) return;
    this.badBlocks.add(block);
    this.add(
      'index-mismatch',
      event.seq,
      `time_blocks sid=${this.row.sid} block=${block}`,
      `seq ${event.seq} occurred at ${t}, outside its block's bounds ${bounds.min_ms}..${bounds.max_ms}: time-range reads skip it`,
    );
  }

  private finish(): void {
    const { row, statements, check } = this;
    const maxSeq = this.previous?.seq ?? 0;
    const lastSeq = Math.max(maxSeq, row.seq_floor);
    const where = `session_state sid=${row.sid}`;
    if (row.created_at_ms === null) {
      if (this.stored > 0) {
        this.add(
          'metadata-mismatch',
          undefined,
          where,
          `${this.stored} events are stored, but the session does not exist (created_at_ms is NULL: deleted, or never appended to)`,
        );
      }
    } else {
      if (row.seq_floor < row.seq_base) {
        this.add(
          'metadata-mismatch',
          undefined,
          where,
          `seq_floor ${row.seq_floor} is below seq_base ${row.seq_base}`,
        );
      }
      const expected = lastSeq - row.seq_base - row.purged_events;
      if (this.exact && lastSeq >= this.next) {
        this.add(
          'seq-gap',
          this.next,
          where,
          `${seqsAre(this.next, lastSeq)} missing up to the last seq ${lastSeq}, and session_state records no purge`,
        );
      } else if (!this.exact && this.stored < expected) {
        this.add(
          'seq-gap',
          undefined,
          where,
          `session_state accounts for ${expected} events (last seq ${lastSeq} - seq_base ${row.seq_base} - purged_events ${row.purged_events}), ${this.stored} are stored: ${expected - this.stored} missing`,
        );
      }
      if (this.stored > expected) {
        this.add(
          'metadata-mismatch',
          undefined,
          where,
          `session_state accounts for ${expected} events (last seq ${lastSeq} - seq_base ${row.seq_base} - purged_events ${row.purged_events}), ${this.stored} are stored`,
        );
      }
    }
    // Ids of sealed blocks (every seq up to the last multiple of TIME_BLOCK) are in event_ids.
    const sealed = Math.floor(lastSeq / TIME_BLOCK) * TIME_BLOCK;
    for (const { seq } of statements.missingIds.all(row.sid, sealed, check.room)) {
      this.add(
        'index-mismatch',
        seq,
        `event_ids sid=${row.sid} seq=${seq}`,
        `seq ${seq} of a sealed block has no event_ids row: its id appended again would be stored twice`,
      );
    }
    for (const { seq, id_hash } of statements.extraIds.all(row.sid, sealed, check.room)) {
      this.add(
        'index-mismatch',
        seq,
        `event_ids sid=${row.sid} seq=${seq}`,
        `the event_ids row (id_hash ${id_hash}) matches no stored event of a sealed block`,
      );
    }
    const repeated = this.duplicates.repeated();
    for (const hash of repeated) this.reportDuplicateIds(hash);
  }

  /** Rows of one id hash: equal ids at different seqs are the same event stored twice. */
  private reportDuplicateIds(hash: number): void {
    const first = new Map<string, number>();
    for (const { seq, pos, id } of this.statements.byHash.all(this.row.sid, hash)) {
      const seen = first.get(id);
      if (seen === undefined) first.set(id, seq);
      else if (seen !== seq) {
        this.add(
          'duplicate',
          seq,
          `events pos=${pos}`,
          `event id ${JSON.stringify(id)} is stored again (first at seq ${seen})`,
        );
      }
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
      sessionId: this.row.name,
      ...(seq === undefined ? {} : { seq }),
      location,
      message,
    });
  }
}

/** `seq a is`, or `seqs a..b are`. */
function seqsAre(from: number, to: number): string {
  return from === to ? `seq ${from} is` : `seqs ${from}..${to} are`;
}
