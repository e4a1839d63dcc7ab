import type Database from 'better-sqlite3';
import type { LastEventRow } from './session-row.js';
import { SQL } from './statements.js';
import type { PurgeTask, PurgeTaskResult } from './threads/tasks.js';
import { nextRunForward, type TimeBlockRow } from './time-blocks.js';

/** An event chosen for removal. */
interface Victim {
  rowid: number;
  sid: number;
  seq: number;
  id_hash: number;
}

interface LiveSession {
  sid: number;
  seq_base: number;
  purged_events: number;
  seq_floor: number;
}

/** Sessions read per query of the retention walk. */
const WALK_PAGE = 256;

/**
 * How long a chunk may spend deleting, in ms: it holds the write lock, and appends
 * wait for it. Core asks for 1,000 events a chunk; deleting them (zeroing cells with
 * `secure_delete`, plus their `event_ids` rows) took about 12 ms here, which put
 * append p99 during a purge at 30 ms (0.2 ms idle). A chunk stops deleting past this
 * budget (after one event at least) and reports `done: false`; core calls again.
 */
export const PURGE_CHUNK_BUDGET_MS = 2;

/** Victims deleted between two looks at the clock. */
const CLOCK_EVERY = 16;

/**
 * Chooses and removes one chunk of a purge, inside the writer's transaction. Expired
 * events come from the partial expiry index (a range search, however large the table).
 * The `retention` rules have no per-event index (one would add a page write per batch to
 * the hot path): they walk the existing sessions by sid, a session's excess by its
 * (sid, seq) index, and its old events through the sparse time index (sealed blocks that
 * are all newer than the cutoff are skipped). The walk resumes where the previous chunk
 * stopped and wraps around once, so a chunk reports `done` only after a whole pass.
 */
export class SqlitePurger {
  private readonly expired: Database.Statement<[number, number], Victim>;
  private readonly liveSessionsAfter: Database.Statement<[number, number], LiveSession>;
  private readonly oldestEvents: Database.Statement<[number, number], Victim>;
  private readonly oldEventsInRun: Database.Statement<
    [number, number, number, number, number],
    Victim
  >;
  private readonly blocksForward: Database.Statement<[number, number], TimeBlockRow>;
  private readonly lastEvent: Database.Statement<[number], LastEventRow>;
  private readonly floorOf: Database.Statement<[number], [number, number | null]>;
  private readonly deleteEventRow: Database.Statement<[number]>;
  private readonly deleteEventId: Database.Statement<[number, number, number]>;
  private readonly recordPurge: Database.Statement<[number, number | null, number, number]>;
  /** The last sid the retention walk finished (0: start from the first). */
  private cursor = 0;
  /**
   * Events a chunk chooses at most: what the budget let the last chunks delete, with
   * room to grow, so a chunk does not read 1,000 victims to delete a hundred.
   */
  private pace = Number.POSITIVE_INFINITY;

  constructor(db: Database.Database) {
    this.expired = db.prepare(SQL.expiredEvents);
    this.liveSessionsAfter = db.prepare(SQL.liveSessionsAfter);
    this.oldestEvents = db.prepare(SQL.oldestEvents);
    this.oldEventsInRun = db.prepare(SQL.oldEventsInRun);
    this.blocksForward = db.prepare(SQL.timeBlocksForward);
    this.lastEvent = db.prepare(SQL.lastEvent);
    this.floorOf = db.prepare<[number], [number, number | null]>(SQL.floorOf).raw();
    this.deleteEventRow = db.prepare(SQL.deleteEventRow);
    this.deleteEventId = db.prepare(SQL.deleteEventId);
    this.recordPurge = db.prepare(SQL.recordPurge);
  }

  /** Must run inside a write transaction. */
  chunk(request: PurgeTask): PurgeTaskResult {
    const task = { ...request, limit: Math.max(1, Math.min(request.limit, this.pace)) };
    const chosen = new Map<number, Victim>();
    for (const v of this.expired.iterate(task.now, task.limit)) chosen.set(v.rowid, v);
    let done = chosen.size < task.limit;
    if (done && (task.maxAgeMs !== undefined || task.maxEventsPerSession !== undefined)) {
      done = this.walk(task, chosen);
    }
    const bySession = new Map<number, Victim[]>();
    for (const v of chosen.values()) {
      const list = bySession.get(v.sid);
      if (list) list.push(v);
      else bySession.set(v.sid, [v]);
    }
    const deadline = performance.now() + PURGE_CHUNK_BUDGET_MS;
    let deletedEvents = 0;
    let sessions = 0;
    for (const [sid, victims] of bySession) {
      const removed = this.remove(sid, victims, deadline);
      deletedEvents += removed;
      sessions++;
      if (removed < victims.length || performance.now() >= deadline) {
        // Out of time: what is left is chosen again by the next chunk.
        if (deletedEvents < chosen.size) done = false;
        break;
      }
    }
    this.pace =
      deletedEvents < chosen.size
        ? Math.max(CLOCK_EVERY, Math.ceil(deletedEvents * 1.25))
        : Math.min(2 * this.pace, Number.MAX_SAFE_INTEGER);
    return { deletedEvents, sessions, done };
  }

  /** Adds the retention rules' victims; true when a whole pass found fewer than the limit. */
  private walk(task: PurgeTask, chosen: Map<number, Victim>): boolean {
    const start = this.cursor;
    let after = start;
    let wrapped = false;
    for (;;) {
      const page = this.liveSessionsAfter.all(after, WALK_PAGE);
      for (const s of page) {
        if (wrapped && s.sid > start) break;
        if (!this.chooseIn(task, s, chosen)) {
          // The limit stopped this session: the next chunk starts with it again.
          this.cursor = after;
          return false;
        }
        after = s.sid;
      }
      const ended = page.length < WALK_PAGE || (wrapped && page.at(-1)!.sid > start);
      if (!ended) continue;
      if (wrapped || start === 0) break;
      wrapped = true;
      after = 0;
    }
    this.cursor = 0;
    return true;
  }

  /** Chooses the session's victims under the retention rules; false once the limit is reached. */
  private chooseIn(task: PurgeTask, s: LiveSession, chosen: Map<number, Victim>): boolean {
    let here = 0;
    const add = (v: Victim) => {
      if (chosen.has(v.rowid)) return;
      chosen.set(v.rowid, v);
      here++;
    };
    if (task.maxAgeMs !== undefined) {
      const cutoff = task.now - task.maxAgeMs;
      const blocksFrom = (block: number) => this.blocksForward.iterate(s.sid, block);
      let cursor = 0;
      for (;;) {
        if (chosen.size >= task.limit) return false;
        const run = nextRunForward(blocksFrom, cursor, Number.NEGATIVE_INFINITY, cutoff);
        const until = Number.isFinite(run.hi) ? run.hi : Number.MAX_SAFE_INTEGER;
        const room = task.limit - chosen.size;
        let found = 0;
        for (const v of this.oldEventsInRun.iterate(s.sid, run.lo - 1, until, cutoff, room)) {
          add(v);
          found++;
        }
        if (found === room && chosen.size >= task.limit) return false;
        if (!Number.isFinite(run.hi)) break;
        cursor = run.hi;
      }
    }
    if (task.maxEventsPerSession !== undefined) {
      const last = this.lastEvent.get(s.sid);
      const lastSeq = Math.max(last?.seq ?? 0, s.seq_floor);
      let excess = lastSeq - s.seq_base - s.purged_events - here - task.maxEventsPerSession;
      if (excess > 0) {
        for (const v of this.oldestEvents.iterate(s.sid, Number.MAX_SAFE_INTEGER)) {
          if (chosen.size >= task.limit) return false;
          if (chosen.has(v.rowid)) continue;
          add(v);
          if (--excess === 0) break;
        }
      }
    }
    return chosen.size < task.limit;
  }

  /**
   * Removes one session's victims and their `event_ids` rows (a purged id appended again
   * is a new event). The session's last seq and update time are kept as its floor first:
   * the newest event may be among the victims, and seqs never go backwards.
   */
  private remove(sid: number, victims: Victim[], deadline: number): number {
    // Read before deleting: the newest event may be among the victims.
    const last = this.lastEvent.get(sid);
    const [floor, floorUpdated] = this.floorOf.get(sid) ?? [0, null];
    const fromEvent = last !== undefined && last.seq >= floor;
    // Oldest first, so a chunk stopped by the clock leaves the newest.
    victims.sort((a, b) => a.seq - b.seq);
    let n = 0;
    while (n < victims.length) {
      const v = victims[n++]!;
      this.deleteEventRow.run(v.rowid);
      this.deleteEventId.run(v.sid, v.id_hash, v.seq);
      if (n % CLOCK_EVERY === 0 && performance.now() >= deadline) break;
    }
    this.recordPurge.run(
      fromEvent ? last.seq : floor,
      fromEvent ? last.created_at_ms : floorUpdated,
      n,
      sid,
    );
    return n;
  }
}
