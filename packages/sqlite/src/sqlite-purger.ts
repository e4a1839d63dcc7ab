import type Database from 'better-sqlite3';
import type { LastEventRow } from './session-row.js';
import { SQL } from './statements.js';
import type {
  PurgeChoice,
  PurgeChooseTask,
  PurgeRemoveResult,
  PurgeVictims,
} from './threads/tasks.js';
import { nextRunForward, type TimeBlockRow } from './time-blocks.js';

/** An event chosen for removal, and whether it goes only as its session's excess. */
interface Victim {
  rowid: number;
  sid: number;
  seq: number;
  id_hash: number;
  /** Its `expiries` row's key, with `rowid`; NULL without one. */
  expires: number | null;
  excess?: boolean;
}

/** A row of `expiries` in expiry order: `sid` NULL when its event is gone. */
type ExpiryRow = Omit<Victim, 'sid' | 'expires'> & { sid: number | null; expires: number };

interface LiveSession {
  sid: number;
  seq_base: number;
  purged_events: number;
  seq_floor: number;
}

/** Sessions read per query of the retention walk. */
const WALK_PAGE = 256;
/** Rows of `expiries` a chunk reads to find sessions with expired events. */
const DISCOVER = 512;
/** Rows of `expiries` whose event is gone a chunk reads (and deletes) at most, past those. */
const STALE = 4_096;
/** Most sessions a chunk takes expired events from. */
const SESSIONS_PER_CHUNK = 64;
/** Expired events a chunk takes from each session it found, at least, when more are left. */
const MIN_SHARE = 16;
/** Seqs of a session a chunk looks through for expired events (at least). */
const WINDOW_SEQS = 512;

/**
 * How long one slice of a chunk may spend deleting, in ms: it holds the write lock (and,
 * on the main thread's connection, the event loop), and appends wait for it. Deleting a
 * 1,000-event chunk (zeroing cells with `secure_delete`, plus their `event_ids` rows)
 * takes about 12 ms; in one transaction it put append p99 during a purge at 30 ms. A
 * slice stops past this budget (after one victim at least) and says where the next starts.
 * A twentieth of a millisecond (16-32 events, about 0.17 ms with the commit) keeps what an
 * append that arrives during a slice waits well within its idle p99: a quarter (0.5 ms with
 * the commit) put the purge's append p99 at 1.6-1.9x idle, this 1.4-1.7x, at a purge 40%
 * slower (the commits write more WAL frames per event); 1 ms slices put it at 2.9x (README).
 * A slice's commit writes one WAL frame per page it changed: 26 for 16 events while deleting
 * an event also deleted its entry of the expiry index (one leaf per event: the entries of
 * concurrent sessions interleave), 10-11 since migration 0006 (`expiries`, deleted after).
 */
export const PURGE_SLICE_BUDGET_MS = 0.05;

/**
 * A slice of `expiries` rows may spend this many times the budget deleting: sorted by key,
 * its rows share leaves, so its commit writes a few WAL frames where an events slice writes
 * 10-19. At the plain budget (about 40 rows, 0.10 ms with the commit) they were a third of a
 * purge's slices; at 4x, about 90 rows, 0.3 ms, 4 frames, and a seventh (300,000 events).
 */
const EXPIRY_BUDGET_FACTOR = 4;

/** Victims deleted between two looks at the clock. */
const CLOCK_EVERY = 16;

/**
 * One chunk of a purge in two steps. `choose` reads, on the writer thread's connection,
 * in a read transaction (it never holds the write lock): expired events from a range of
 * `expiries` (however large the table), then, for the `retention`
 * rules, which have no per-event index (one would add a page write per batch to the
 * hot path), a walk over the existing sessions by sid: a session's excess by its
 * (sid, seq) index, its old events through the sparse time index (sealed blocks all
 * newer than the cutoff are skipped). The walk resumes where the previous chunk
 * stopped and wraps around once, so `done` comes only after a whole pass. `remove`
 * then deletes, in a write transaction of any write connection, what is still there
 * (another connection may have deleted or purged meanwhile), in slices of at most
 * `PURGE_SLICE_BUDGET_MS` (see `SqliteBackend.purgeExpired`), then the `expiries` rows of
 * the events gone. A chunk whose expiries rows all lost their events (a purge stopped
 * between the two) deletes those rows and reports 0 events; core then ends the purge there,
 * and the next one goes on.
 */
export class SqlitePurger {
  private readonly expired: Database.Statement<[number, number], ExpiryRow>;
  private readonly expiredInSession: Database.Statement<
    [number, number, number, number, number],
    Victim
  >;
  private readonly liveSessionsAfter: Database.Statement<[number, number], LiveSession>;
  private readonly oldestEvents: Database.Statement<[number, number], Victim>;
  private readonly oldEventsInRun: Database.Statement<
    [number, number, number, number, number],
    Victim
  >;
  private readonly blocksForward: Database.Statement<[number, number], TimeBlockRow>;
  private readonly lastEvent: Database.Statement<[number], LastEventRow>;
  private readonly stateOf: Database.Statement<
    [number],
    LiveSession & { floor_updated_at_ms: number | null }
  >;
  private readonly deleteEvent: Database.Statement<[number, number, number]>;
  private readonly deleteEventId: Database.Statement<[number, number, number]>;
  private readonly deleteExpiry: Database.Statement<[number, number, number]>;
  private readonly recordPurge: Database.Statement<[number, number | null, number, number]>;
  /** The last sid the retention walk finished (0: start from the first). */
  private cursor = 0;
  /** Expired events chosen in the current chunk, per sid. */
  private readonly expiredIn = new Map<number, number>();

  constructor(db: Database.Database) {
    this.expired = db.prepare(SQL.expiredEvents);
    this.expiredInSession = db.prepare(SQL.expiredInSession);
    this.liveSessionsAfter = db.prepare(SQL.liveSessionsAfter);
    this.oldestEvents = db.prepare(SQL.oldestEvents);
    this.oldEventsInRun = db.prepare(SQL.oldEventsInRun);
    this.blocksForward = db.prepare(SQL.timeBlocksForward);
    this.lastEvent = db.prepare(SQL.lastEvent);
    this.stateOf = db.prepare(SQL.purgeState);
    this.deleteEvent = db.prepare(SQL.deleteEvent);
    this.deleteEventId = db.prepare(SQL.deleteEventId);
    this.deleteExpiry = db.prepare(SQL.deleteExpiry);
    this.recordPurge = db.prepare(SQL.recordPurge);
  }

  /** Must run inside a (read) transaction. */
  choose(request: PurgeChooseTask): PurgeChoice {
    const task = { ...request, limit: Math.max(1, request.limit) };
    const chosen = new Map<number, Victim>();
    this.expiredIn.clear();
    // Sessions with expired events, in expiry order (`expiries`), each with the lowest
    // expired seq seen; then each session's expired events in seq order from there. Taken in
    // expiry order alone, the victims of interleaved expiries were one event in each of many
    // sessions, each dirtying pages of its own (4,445 events/s over 1,000 sessions); a
    // session's events in seq order share their index pages, and their rows when written
    // together. Their `expiries` rows go after them, sorted (`remove`).
    const found = new Map<number, { min: number; max: number }>();
    const stale: ExpiryRow[] = [];
    const discover = Math.min(DISCOVER, 4 * task.limit);
    let read = 0;
    let full = false;
    for (const v of this.expired.iterate(task.now, discover + STALE)) {
      if (v.sid === null) {
        stale.push(v);
        if (stale.length === STALE) {
          full = true;
          break;
        }
        continue;
      }
      if (read === discover) break;
      read++;
      const seen = found.get(v.sid);
      if (seen === undefined) {
        if (found.size === SESSIONS_PER_CHUNK) {
          full = true;
          break;
        }
        found.set(v.sid, { min: v.seq, max: v.seq });
      } else {
        seen.min = Math.min(seen.min, v.seq);
        seen.max = Math.max(seen.max, v.seq);
      }
    }
    // Every expired event was seen (the query's limit not reached): the windows below cover
    // them all.
    const exhausted = !full && read < discover && read + stale.length < discover + STALE;
    // Otherwise more are left than the chunk takes: first an even share from each session
    // found (at least `MIN_SHARE`), then what room is left. Sessions found together have
    // expiries at the same instants, so the chunk's `expiries` rows share leaves (with event i
    // of 1,000 sessions expiring at the same instant: 64 sessions x 16 events are about 16
    // leaves; one session's 1,000 events, about 1,000).
    const share = Math.max(MIN_SHARE, Math.ceil(task.limit / found.size));
    const windows = [...found].map(([sid, { min, max }]) => ({ sid, from: min, max }));
    for (const most of exhausted ? [Number.POSITIVE_INFINITY] : [share, Number.POSITIVE_INFINITY]) {
      for (const w of windows) {
        const room = Math.min(task.limit - chosen.size, most);
        if (room <= 0) break;
        const end = exhausted ? w.max + 1 : w.from + Math.max(WINDOW_SEQS, 4 * room);
        for (const v of this.expiredInSession.iterate(w.sid, w.from, end, task.now, room)) {
          chosen.set(v.rowid, v);
          this.expiredIn.set(w.sid, (this.expiredIn.get(w.sid) ?? 0) + 1);
          w.from = v.seq + 1;
        }
      }
    }
    let done = exhausted && chosen.size < task.limit;
    if (done && (task.maxAgeMs !== undefined || task.maxEventsPerSession !== undefined)) {
      done = this.walk(task, chosen);
    }
    return { victims: toColumns(chosen.values(), stale), done };
  }

  /**
   * Must run inside a write transaction. Removes victims from `from` on, a session at a
   * time, then (from `victims.sids.length` on) the `expiries` rows of those gone, until they
   * run out or `budgetMs` does (checked every `CLOCK_EVERY` steps and between sessions, so a
   * slice takes one step at least). Steps in all: `purgeSteps(victims)`.
   */
  remove(
    victims: PurgeVictims,
    from: number,
    maxEventsPerSession: number | undefined,
    budgetMs: number,
  ): PurgeRemoveResult {
    const count = victims.sids.length;
    if (from >= count) {
      const deadline = performance.now() + EXPIRY_BUDGET_FACTOR * budgetMs;
      return { deletedEvents: 0, sids: [], next: this.removeExpiries(victims, from, deadline) };
    }
    const deadline = performance.now() + budgetMs;
    const sids: number[] = [];
    let deletedEvents = 0;
    let next = from;
    while (next < count) {
      const sid = victims.sids[next]!;
      let end = next + 1;
      while (end < count && victims.sids[end] === sid) end++;
      const { removed, stop } = this.removeIn(victims, next, end, maxEventsPerSession, deadline);
      deletedEvents += removed;
      if (removed > 0) sids.push(sid);
      next = stop;
      if (next < end || performance.now() >= deadline) break;
    }
    return { deletedEvents, sids, next };
  }

  /**
   * Deletes the `expiries` rows of `victims.expiryAt/expiryPos` from step `from` on (steps
   * count on after the victims) whose event is gone: a victim `removeIn` kept (its session's
   * excess re-counted) keeps its row. Returns the next.
   */
  private removeExpiries(victims: PurgeVictims, from: number, deadline: number): number {
    const count = victims.sids.length;
    const end = count + victims.expiryAt.length;
    let next = from;
    while (next < end) {
      const k = next++ - count;
      const pos = victims.expiryPos[k]!;
      this.deleteExpiry.run(victims.expiryAt[k]!, pos, pos);
      if ((next - count) % CLOCK_EVERY === 0 && performance.now() >= deadline) break;
    }
    return next;
  }

  /** Adds the retention rules' victims; true when a whole pass found fewer than the limit. */
  private walk(task: PurgeChooseTask, chosen: Map<number, Victim>): boolean {
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
  private chooseIn(task: PurgeChooseTask, s: LiveSession, chosen: Map<number, Victim>): boolean {
    // Victims of the session chosen already (expired ones included), for its excess.
    let here = this.expiredIn.get(s.sid) ?? 0;
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
        for (const v of this.oldEventsInRun.iterate(s.sid, run.lo - 1, until, cutoff, room)) add(v);
        if (chosen.size >= task.limit) return false;
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
          add({ ...v, excess: true });
          if (--excess === 0) break;
        }
      }
    }
    return chosen.size < task.limit;
  }

  /**
   * Removes one session's victims `start .. end - 1` still stored, and their `event_ids`
   * rows (a purged id appended again is a new event): those expired or too old, then, as
   * many of its excess as it still has (a purge of another connection may have taken some
   * since they were chosen). The session's last seq and update time are kept as its floor:
   * the newest event may be among the victims, and seqs never go backwards. Returns the
   * first victim not looked at (`end` when the session is finished).
   */
  private removeIn(
    victims: PurgeVictims,
    start: number,
    end: number,
    maxEventsPerSession: number | undefined,
    deadline: number,
  ): { removed: number; stop: number } {
    const sid = victims.sids[start]!;
    const state = this.stateOf.get(sid);
    if (state === undefined) return { removed: 0, stop: end };
    // Read before deleting: the newest event may be among the victims.
    const last = this.lastEvent.get(sid);
    const fromEvent = last !== undefined && last.seq >= state.seq_floor;
    const lastSeq = fromEvent ? last.seq : state.seq_floor;
    let stored = lastSeq - state.seq_base - state.purged_events;
    let removed = 0;
    let k = start;
    while (k < end) {
      if (
        victims.excess[k] === 1 &&
        (maxEventsPerSession === undefined || stored <= maxEventsPerSession)
      ) {
        // What is left of the session is its excess, and it has none any more.
        k = end;
        break;
      }
      const seq = victims.seqs[k]!;
      k++;
      // By (rowid, sid, seq): gone already if another connection removed it.
      if (this.deleteEvent.run(victims.rowids[k - 1]!, sid, seq).changes === 0) continue;
      this.deleteEventId.run(sid, victims.idHashes[k - 1]!, seq);
      removed++;
      stored--;
      if (removed % CLOCK_EVERY === 0 && performance.now() >= deadline) break;
    }
    if (removed > 0) {
      this.recordPurge.run(
        lastSeq,
        fromEvent ? last.created_at_ms : state.floor_updated_at_ms,
        removed,
        sid,
      );
    }
    return { removed, stop: k };
  }
}

/**
 * Victims as columns grouped by session (in the order sessions were first chosen); within
 * one, rule victims first, then the excess, each oldest first.
 */
function toColumns(chosen: Iterable<Victim>, stale: readonly ExpiryRow[]): PurgeVictims {
  const bySession = new Map<number, Victim[]>();
  for (const v of chosen) {
    const list = bySession.get(v.sid);
    if (list) list.push(v);
    else bySession.set(v.sid, [v]);
  }
  let count = 0;
  for (const list of bySession.values()) count += list.length;
  const out: PurgeVictims = {
    rowids: new Float64Array(count),
    sids: new Float64Array(count),
    seqs: new Float64Array(count),
    idHashes: new Float64Array(count),
    excess: new Uint8Array(count),
    expiryAt: new Float64Array(0),
    expiryPos: new Float64Array(0),
  };
  // The victims' expiry rows and the stale ones, in key order: neighbours share leaves.
  const expiries: Array<{ at: number; pos: number }> = stale.map((r) => ({
    at: r.expires,
    pos: r.rowid,
  }));
  let i = 0;
  for (const list of bySession.values()) {
    list.sort((a, b) => Number(a.excess ?? false) - Number(b.excess ?? false) || a.seq - b.seq);
    for (const v of list) {
      out.rowids[i] = v.rowid;
      out.sids[i] = v.sid;
      out.seqs[i] = v.seq;
      out.idHashes[i] = v.id_hash;
      out.excess[i] = v.excess ? 1 : 0;
      if (v.expires !== null) expiries.push({ at: v.expires, pos: v.rowid });
      i++;
    }
  }
  expiries.sort((a, b) => a.at - b.at || a.pos - b.pos);
  out.expiryAt = Float64Array.from(expiries, (e) => e.at);
  out.expiryPos = Float64Array.from(expiries, (e) => e.pos);
  return out;
}

/** Slices' steps in a chunk: its victims, then their (and stale) `expiries` rows. */
export function purgeSteps(victims: PurgeVictims): number {
  return victims.sids.length + victims.expiryAt.length;
}
