import type Database from 'better-sqlite3';
import { compareUtf8, prefixUpperBound } from './prefix-upper-bound.js';
import { SessionNames } from './session-names.js';
import { type LastEventRow, type SessionsTableRow, toSessionRow } from './session-row.js';
import {
  type PageShape,
  pageSql,
  type SessionPageShape,
  SQL,
  sessionPageSql,
} from './statements.js';
import type {
  CheckpointRow,
  FeedPageResult,
  GetSessionTask,
  ListSessionsTask,
  PageResult,
  ReadCheckpointTask,
  ReadFeedTask,
  ReadPageTask,
  SessionRow,
} from './threads/tasks.js';
import { nextRunBackward, nextRunForward, type TimeBlockRow } from './time-blocks.js';

/** A page row in `raw` mode: [seq, id, createdAtMs, json]. */
type PageRow = [number, string, number, string];

/** A feed row in `raw` mode: [rowid, sid, seq, id, createdAtMs, json, expiresAtMs]. */
type FeedRow = [number, number, number, string, number, string, number | null];

/**
 * Expired rows a feed page may step over besides its `limit` entries: a stretch of expired
 * rows is crossed a bounded page at a time, never in one long task.
 */
const FEED_SKIPPED_ROWS = 1000;

interface Page {
  rows: PageRow[];
  /** JSON characters in `rows`. */
  bytes: number;
  /** Epoch ms the page is read at: events expired by then are skipped. */
  now: number;
}

/**
 * Serves whole pages from its own connection (read-only on reader threads).
 * Each page is one short query: no cursor outlives a task, so a consumer
 * that stops iterating leaves nothing open.
 */
export class SqliteReader {
  private readonly db: Database.Database;
  private readonly findSession: Database.Statement<[string], { sid: number }>;
  private readonly readCheckpointStmt: Database.Statement<[string], CheckpointRow>;
  private readonly pages = new Map<number, Database.Statement<number[], PageRow>>();
  private readonly blocksForward: Database.Statement<[number, number], TimeBlockRow>;
  private readonly blocksBackward: Database.Statement<[number, number], TimeBlockRow>;
  private readonly sessionByName: Database.Statement<[string], SessionsTableRow>;
  private readonly lastEvent: Database.Statement<[number], LastEventRow>;
  private readonly dataVersionStmt: Database.Statement<[], number>;
  private readonly feedPage: Database.Statement<[number, number], FeedRow>;
  private readonly names: SessionNames;
  private readonly sessionPages = new Map<
    string,
    Database.Statement<unknown[], SessionsTableRow>
  >();

  constructor(db: Database.Database) {
    this.db = db;
    this.findSession = db.prepare(SQL.findSession);
    this.sessionByName = db.prepare(SQL.sessionByName);
    this.lastEvent = db.prepare(SQL.lastEvent);
    this.readCheckpointStmt = db.prepare(SQL.readCheckpoint);
    this.blocksForward = db.prepare(SQL.timeBlocksForward);
    this.blocksBackward = db.prepare(SQL.timeBlocksBackward);
    this.dataVersionStmt = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.feedPage = db.prepare<[number, number], FeedRow>(SQL.feedPage).raw(true);
    this.names = new SessionNames(db);
  }

  /** Changes whenever another connection (thread or process) commits; this one's own commits leave it. */
  dataVersion(): number {
    return this.dataVersionStmt.get()!;
  }

  /**
   * Asks for one row more than `limit`: it tells whether another page follows, so a
   * session that ends on a page boundary costs no trailing empty query. Rows are stepped
   * one at a time and the page ends before the row that would take it past `maxBytes`:
   * a session of large envelopes never loads `limit` of them at once. That row is read
   * and dropped (the next page starts with it): on a reader thread, cheaper than the
   * consumer's parse of the page.
   */
  readPage(task: ReadPageTask): PageResult {
    const session = this.findSession.get(task.sessionId);
    const page: Page = { rows: [], bytes: 0, now: Date.now() };
    let more = false;
    if (session) {
      more =
        task.fromMs === undefined && task.toMs === undefined
          ? this.fill(page, task, session.sid, task.after, undefined)
          : this.fillTimeRange(page, task, session.sid);
    }
    const { rows } = page;
    const n = rows.length;
    const seqs = new Float64Array(n);
    const createdAtMs = new Float64Array(n);
    const ids = new Array<string>(n);
    const jsons = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      seqs[i] = row[0];
      ids[i] = row[1];
      createdAtMs[i] = row[2];
      jsons[i] = row[3];
    }
    return { seqs, ids, createdAtMs, jsons, more };
  }

  /**
   * Rows after `task.after` in rowid order: one range of the table b-tree, stepped one row at
   * a time. Expired rows are skipped, and reported (`skippedTo`) when the page would otherwise
   * end on them, so the next page starts past them. Session names come from a per-connection
   * cache, not a per-row join.
   */
  readFeed(task: ReadFeedTask): FeedPageResult {
    const now = Date.now();
    const rowids: number[] = [];
    const sessionOf: number[] = [];
    const sessions: string[] = [];
    const indexOf = new Map<number, number>();
    const seqs: number[] = [];
    const ids: string[] = [];
    const createdAtMs: number[] = [];
    const jsons: string[] = [];
    const scan = task.limit + FEED_SKIPPED_ROWS;
    let looked = 0;
    let bytes = 0;
    let skippedTo: number | undefined;
    let full = false;
    for (const row of this.feedPage.iterate(task.after, scan)) {
      looked++;
      const expiresAtMs = row[6];
      if (expiresAtMs !== null && expiresAtMs <= now) {
        skippedTo = row[0];
        continue;
      }
      const json = row[5];
      const n = jsons.length;
      if (n === task.limit || (n > 0 && bytes + json.length > task.maxBytes)) {
        full = true;
        break; // ends the iterator, which resets the statement
      }
      const sid = row[1];
      let index = indexOf.get(sid);
      if (index === undefined) {
        index = sessions.push(this.names.get(sid)) - 1;
        indexOf.set(sid, index);
      }
      rowids.push(row[0]);
      sessionOf.push(index);
      seqs.push(row[2]);
      ids.push(row[3]);
      createdAtMs.push(row[4]);
      jsons.push(json);
      bytes += json.length;
      skippedTo = undefined;
    }
    return {
      rowids: Float64Array.from(rowids),
      sessionOf: Uint32Array.from(sessionOf),
      sessions,
      seqs: Float64Array.from(seqs),
      ids,
      createdAtMs: Float64Array.from(createdAtMs),
      jsons,
      ...(skippedTo === undefined ? {} : { skippedTo }),
      full: full || looked === scan,
    };
  }

  readCheckpoint(task: ReadCheckpointTask): CheckpointRow | null {
    return this.readCheckpointStmt.get(task.sessionId) ?? null;
  }

  /** Two index searches: the session_state row by name, the newest event by (sid, seq). */
  getSession(task: GetSessionTask): SessionRow | null {
    const read = this.db.transaction(() => {
      const row = this.sessionByName.get(task.sessionId);
      // A tombstone or a checkpoint-only row: the session does not exist.
      if (row === undefined || row.created_at_ms === null) return null;
      return toSessionRow(row, this.lastEvent.get(row.sid));
    });
    return read.deferred();
  }

  /**
   * One keyset page of existing sessions: a range of the unique name index (a prefix is
   * `name >= prefix AND name < bound`), plus one (sid, seq) search per session. A read
   * transaction keeps the rows and their newest events consistent.
   */
  listSessions(task: ListSessionsTask): SessionRow[] {
    const upper = task.prefix === undefined ? undefined : prefixUpperBound(task.prefix);
    // The tighter lower bound of the two: `> after` or `>= prefix`.
    const useAfter =
      task.after !== undefined &&
      (task.prefix === undefined || compareUtf8(task.after, task.prefix) >= 0);
    const shape: SessionPageShape = {
      lower: useAfter ? 'after' : task.prefix !== undefined ? 'from' : 'none',
      upper: upper !== undefined,
    };
    const params: unknown[] = [];
    if (shape.lower === 'after') params.push(task.after);
    if (shape.lower === 'from') params.push(task.prefix);
    if (upper !== undefined) params.push(upper);
    params.push(task.limit);
    const read = this.db.transaction(() =>
      this.sessionPage(shape)
        .all(...params)
        .map((row) => toSessionRow(row, this.lastEvent.get(row.sid))),
    );
    return read.deferred();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /**
   * Steps the rows of seqs between `after` (exclusive) and `until` (inclusive) into the
   * page; true when it stopped at the limit or the byte budget with a row left over.
   */
  private fill(
    page: Page,
    task: ReadPageTask,
    sid: number,
    after: number | undefined,
    until: number | undefined,
  ): boolean {
    const params = [sid];
    if (after !== undefined) params.push(after);
    if (until !== undefined) params.push(until);
    if (task.fromMs !== undefined) params.push(task.fromMs);
    if (task.toMs !== undefined) params.push(task.toMs);
    params.push(page.now, task.limit + 1 - page.rows.length);
    const shape: PageShape = {
      backward: task.backward,
      after: after !== undefined,
      until: until !== undefined,
      from: task.fromMs !== undefined,
      to: task.toMs !== undefined,
    };
    for (const row of this.statement(shape).iterate(...params)) {
      const rowBytes = row[3].length;
      if (
        page.rows.length === task.limit ||
        (page.rows.length > 0 && page.bytes + rowBytes > task.maxBytes)
      ) {
        return true; // ends the iterator, which resets the statement
      }
      page.rows.push(row);
      page.bytes += rowBytes;
    }
    return false;
  }

  /** A time-range page: only the runs of seqs the sparse time index cannot rule out. */
  private fillTimeRange(page: Page, task: ReadPageTask, sid: number): boolean {
    const fromMs = task.fromMs ?? Number.NEGATIVE_INFINITY;
    const toMs = task.toMs ?? Number.POSITIVE_INFINITY;
    if (task.backward) {
      const blocksFrom = (block: number) => this.blocksBackward.iterate(sid, block);
      let cursor = task.after ?? Number.POSITIVE_INFINITY;
      for (;;) {
        const run = nextRunBackward(blocksFrom, cursor, fromMs, toMs);
        if (!run) return false;
        const after = Number.isFinite(run.hi) ? run.hi + 1 : undefined;
        if (this.fill(page, task, sid, after, run.lo > 1 ? run.lo : undefined)) return true;
        cursor = run.lo;
      }
    }
    const blocksFrom = (block: number) => this.blocksForward.iterate(sid, block);
    let cursor = task.after ?? 0;
    for (;;) {
      const run = nextRunForward(blocksFrom, cursor, fromMs, toMs);
      const until = Number.isFinite(run.hi) ? run.hi : undefined;
      if (this.fill(page, task, sid, run.lo - 1, until)) return true;
      if (until === undefined) return false;
      cursor = until;
    }
  }

  private sessionPage(shape: SessionPageShape): Database.Statement<unknown[], SessionsTableRow> {
    const key = `${shape.lower}:${shape.upper}`;
    let stmt = this.sessionPages.get(key);
    if (!stmt) {
      stmt = this.db.prepare<unknown[], SessionsTableRow>(sessionPageSql(shape));
      this.sessionPages.set(key, stmt);
    }
    return stmt;
  }

  private statement(shape: PageShape): Database.Statement<number[], PageRow> {
    const key =
      (+shape.backward << 0) |
      (+shape.after << 1) |
      (+shape.until << 2) |
      (+shape.from << 3) |
      (+shape.to << 4);
    let stmt = this.pages.get(key);
    if (!stmt) {
      stmt = this.db.prepare<number[], PageRow>(pageSql(shape)).raw(true);
      this.pages.set(key, stmt);
    }
    return stmt;
  }
}
