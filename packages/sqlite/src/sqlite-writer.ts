import { idHash } from '@history/core/backend';
import type Database from 'better-sqlite3';
import { FeedRowids } from './feed-rowids.js';
import { isBusyCode } from './is-transient.js';
import { type SessionTail, SessionTails } from './session-tails.js';
import { sleepSync } from './sleep-sync.js';
import { SqlitePurger } from './sqlite-purger.js';
import { SQL } from './statements.js';
import { refreshStatistics } from './statistics.js';
import type {
  DeleteSessionTask,
  PurgeChoice,
  PurgeChooseTask,
  PurgeRemoveResult,
  PurgeRemoveTask,
  WriteBatchResult,
  WriteBatchTask,
  WriteCheckpointTask,
} from './threads/tasks.js';
import { TIME_BLOCK } from './time-blocks.js';

/** Sessions whose tails the writer remembers (at most about 2 KiB each). */
const TAIL_CACHE_SESSIONS = 8192;

/**
 * Owns the write connection: one `BEGIN IMMEDIATE` transaction per batch.
 * Runs synchronously, on the writer thread (or inline when `worker: false`).
 */
export class SqliteWriter {
  private readonly db: Database.Database;
  private readonly findSession: Database.Statement<[string], number>;
  private readonly insertSession: Database.Statement<[string], number>;
  private readonly maxSeq: Database.Statement<[number], number | null>;
  private readonly tailRows: Database.Statement<[number, number], [number, number]>;
  private readonly idAt: Database.Statement<[number, number], string>;
  private readonly findSealedDuplicate: Database.Statement<[number, number, string], number>;
  private readonly dataVersion: Database.Statement<[], number>;
  private readonly begin: Database.Statement<[]>;
  private readonly commit: Database.Statement<[]>;
  private readonly insertEvent: Database.Statement<
    [number, number, number, number, string, number, number, string, number | null]
  >;
  private readonly rowids: FeedRowids;
  private readonly sessionState: Database.Statement<[number], [number, number]>;
  private readonly markLive: Database.Statement<[number, number]>;
  private readonly deleteStatements: Database.Statement<[number]>[];
  private readonly deleteSessionExpiries: Database.Statement<[number]>;
  private readonly insertExpiry: Database.Statement<[number, number]>;
  private readonly tombstone: Database.Statement<[number, number, number]>;
  private readonly purger: SqlitePurger;
  private readonly upsertCheckpoint: Database.Statement<[number, string, string, number | null]>;
  private readonly sealTimeBlock: Database.Statement<[number, number, number, number, number]>;
  private readonly sealEventIds: Database.Statement<[number, number, number]>;
  /**
   * name -> sid; a session_state row is never deleted (a deleted session keeps its row as a
   * tombstone, see migration 0004), so a cached sid stays valid across processes.
   */
  private readonly sids = new Map<string, number>();
  /**
   * Each session's last seq and unsealed tail as this connection stored them, trusted
   * only while `data_version` shows that no other connection (thread or process) has
   * committed since.
   */
  private readonly tails = new SessionTails(TAIL_CACHE_SESSIONS);
  private seenVersion = -1;

  /** Refresh planner statistics on open and close (not on the main thread). */
  private readonly optimize: boolean;
  /** How long `BEGIN IMMEDIATE` retries a lock held elsewhere; 0 leaves waiting to busy_timeout. */
  private readonly lockWaitMs: number;

  constructor(
    db: Database.Database,
    { optimize = true, lockWaitMs = 0 }: { optimize?: boolean; lockWaitMs?: number } = {},
  ) {
    this.db = db;
    this.optimize = optimize;
    this.lockWaitMs = lockWaitMs;
    // Refreshes planner statistics when stale (cheap when not, and bounded by an
    // analysis limit), as SQLite recommends for long-lived connections, and drops
    // stat4 samples. Runs on the writer's thread, not on the caller's.
    if (optimize) {
      try {
        refreshStatistics(db, 'open');
      } catch {
        // Statistics are an optimisation: a busy database must not fail the writer.
      }
    }
    this.findSession = db.prepare<[string], number>(SQL.findSession).pluck();
    this.insertSession = db.prepare<[string], number>(SQL.insertSession).pluck();
    this.maxSeq = db.prepare<[number], number | null>(SQL.maxSeq).pluck();
    this.tailRows = db.prepare<[number, number], [number, number]>(SQL.tailRows).raw();
    this.idAt = db.prepare<[number, number], string>(SQL.idAt).pluck();
    this.findSealedDuplicate = db
      .prepare<[number, number, string], number>(SQL.findSealedDuplicate)
      .pluck();
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.insertEvent = db.prepare(SQL.insertEvent);
    this.rowids = new FeedRowids(db);
    this.sessionState = db.prepare<[number], [number, number]>(SQL.sessionState).raw();
    this.markLive = db.prepare(SQL.markLive);
    this.deleteStatements = [
      SQL.deleteEvents,
      SQL.deleteEventIds,
      SQL.deleteTimeBlocks,
      SQL.deleteCheckpoint,
    ].map((sql) => db.prepare<[number]>(sql));
    this.deleteSessionExpiries = db.prepare(SQL.deleteSessionExpiries);
    this.insertExpiry = db.prepare(SQL.insertExpiry);
    this.tombstone = db.prepare(SQL.tombstone);
    this.purger = new SqlitePurger(db);
    this.upsertCheckpoint = db.prepare(SQL.upsertCheckpoint);
    this.sealTimeBlock = db.prepare(SQL.sealTimeBlock);
    this.sealEventIds = db.prepare(SQL.sealEventIds);
  }

  writeBatch(task: WriteBatchTask): WriteBatchResult {
    const n = task.ids.length;
    const jsons = task.jsons;
    const seqs = new Float64Array(n);
    const duplicates = new Uint8Array(n);
    const conflicts = new Uint8Array(n);
    const conditions = task.conditions;
    const createdAtMs = Date.now();
    this.transaction(() => {
      this.checkDataVersion();
      // The next condition, as an index into the (start, count, expectedSeq) triples.
      let c = 0;
      for (let i = 0; i < n; i++) {
        const sid = this.sessionId(task.sessionIds[i]!);
        const tail = this.tails.get(sid) ?? this.loadTail(sid);
        if (conditions !== undefined && c < conditions.length && conditions[c] === i) {
          const count = conditions[c + 1]!;
          const expectedSeq = conditions[c + 2]!;
          c += 3;
          // A deleted (or never created) session's last seq is 0 to a condition.
          const actualSeq = tail.live ? tail.lastSeq : 0;
          if (actualSeq !== expectedSeq && !this.allStored(task, sid, tail, i, count)) {
            for (let k = i; k < i + count; k++) {
              conflicts[k] = 1;
              seqs[k] = actualSeq;
            }
            i += count - 1;
            continue;
          }
        }
        const id = task.ids[i]!;
        const hash = idHash(id);
        const existing = this.findDuplicate(sid, tail, hash, id);
        if (existing !== undefined) {
          seqs[i] = existing;
          duplicates[i] = 1;
          continue;
        }
        if (!tail.live) {
          // The session's first event since it was created or deleted: the only append
          // that writes its session_state row.
          this.markLive.run(createdAtMs, sid);
          tail.live = true;
        }
        const seq = tail.lastSeq + 1;
        const expires = task.expiresAtMs[i]!;
        const pos = this.rowids.next();
        const expiring = !Number.isNaN(expires);
        this.insertEvent.run(
          pos,
          sid,
          seq,
          hash,
          id,
          task.occurredAtMs[i]!,
          createdAtMs,
          jsons[i]!,
          expiring ? expires : null,
        );
        if (expiring) this.insertExpiry.run(expires, pos);
        tail.lastSeq = seq;
        if (seq % TIME_BLOCK === 0) {
          this.sealBlock(sid, seq);
          tail.seqs.length = 0;
          tail.hashes.length = 0;
        } else {
          tail.seqs.push(seq);
          tail.hashes.push(hash);
        }
        seqs[i] = seq;
      }
    });
    return { seqs, duplicates, conflicts };
  }

  /**
   * Erases the session's events, side-index rows and checkpoint, keeping its row as a
   * tombstone with its last seq (so seqs continue after it), then checkpoints the WAL
   * and truncates it: with `secure_delete` on, no frame or free page keeps the erased JSON.
   */
  deleteSession(task: DeleteSessionTask): number {
    let deleted = 0;
    this.transaction(() => {
      this.checkDataVersion();
      const sid = this.findSession.get(task.sessionId);
      if (sid === undefined) return;
      const tail = this.tails.get(sid) ?? this.loadTail(sid);
      this.deleteSessionExpiries.run(sid);
      deleted = this.rowids.removing(() => this.deleteStatements[0]!.run(sid).changes);
      for (const statement of this.deleteStatements.slice(1)) statement.run(sid);
      this.tombstone.run(tail.lastSeq, tail.lastSeq, sid);
      // Loaded afresh (a tombstone, its floor) by the next append.
      this.tails.delete(sid);
    });
    this.truncateWal();
    return deleted;
  }

  /**
   * A purge chunk's victims (see `SqlitePurger`), chosen in a read transaction, which never
   * holds the write lock however many sessions the retention rules walk.
   */
  purgeChoose(task: PurgeChooseTask): PurgeChoice {
    return this.db.transaction(() => this.purger.choose(task)).deferred();
  }

  /** One slice of a chunk's removal: a short write transaction. */
  purgeRemove(task: PurgeRemoveTask): PurgeRemoveResult {
    let result: PurgeRemoveResult = { deletedEvents: 0, sids: [], next: task.from };
    this.transaction(() => {
      this.checkDataVersion();
      result = this.rowids.removing(() =>
        this.purger.remove(task.victims, task.from, task.maxEventsPerSession, task.budgetMs),
      );
      // Purged seqs may sit in those sessions' cached tails: drop them rather than patch them.
      // The other sessions' tails stay, so appends beside a purge keep their cache.
      for (const sid of result.sids) this.tails.delete(sid);
    });
    return result;
  }

  writeCheckpoint(task: WriteCheckpointTask): void {
    this.transaction(() => {
      this.upsertCheckpoint.run(
        this.sessionId(task.sessionId),
        task.json,
        task.createdAt,
        task.seq,
      );
    });
  }

  /** Copies committed WAL frames into the database without blocking writers or readers. */
  checkpointWal(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  /**
   * Copies every WAL frame into the database and truncates the WAL to zero bytes, so no
   * old frame keeps erased rows. It needs every reader to be on the latest snapshot:
   * retried every millisecond (this connection's busy_timeout may be 0) until the lock
   * wait runs out, then reported as SQLITE_BUSY (the delete itself is committed; calling
   * `deleteSession` again truncates again).
   */
  private truncateWal(): void {
    const deadline = Date.now() + Math.max(this.lockWaitMs, this.busyTimeoutMs());
    for (;;) {
      const [row] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (row === undefined || row.busy === 0) return;
      if (Date.now() >= deadline) {
        throw Object.assign(new Error('sqlite: the WAL could not be truncated after a delete'), {
          code: 'SQLITE_BUSY',
        });
      }
      sleepSync(1);
    }
  }

  private busyTimeoutMs(): number {
    return this.db.pragma('busy_timeout', { simple: true }) as number;
  }

  /** A read: afterwards this WAL-mode connection keeps a shared lock until it closes. */
  holdLock(): void {
    this.db.prepare('SELECT count(*) FROM sqlite_master').get();
  }

  close(): void {
    if (!this.db.open) return;
    // What SQLite recommends before closing a long-lived connection.
    if (this.optimize) {
      try {
        refreshStatistics(this.db, 'close');
      } catch {
        // Statistics are an optimisation: a busy database must not fail close().
      }
    }
    this.db.close();
  }

  /**
   * Under the write lock: if another connection committed since this one's last
   * transaction, the cached tails may be stale (appended to, purged, deleted), and each
   * session's is read from the database again; so is the last rowid handed out.
   */
  private checkDataVersion(): void {
    const version = this.dataVersion.get()!;
    if (version !== this.seenVersion) {
      this.tails.clear();
      this.rowids.forget();
      this.seenVersion = version;
    }
  }

  /**
   * Must run inside a write transaction, as the next four. The last seq is the newest
   * event's, or the floor a delete or purge left when it removed the newest ones.
   */
  private loadTail(sid: number): SessionTail {
    const [live, floor] = this.sessionState.get(sid) ?? [0, 0];
    const lastSeq = Math.max(this.maxSeq.get(sid) ?? 0, floor);
    const rows = this.tailRows.all(sid, lastSeq - (lastSeq % TIME_BLOCK));
    const tail = {
      lastSeq,
      live: live === 1,
      seqs: rows.map((r) => r[0]),
      hashes: rows.map((r) => r[1]),
    };
    this.tails.set(sid, tail);
    return tail;
  }

  /** Whether records `start .. start + count - 1` (one session) are all stored already. */
  private allStored(
    task: WriteBatchTask,
    sid: number,
    tail: SessionTail,
    start: number,
    count: number,
  ): boolean {
    for (let k = start; k < start + count; k++) {
      const id = task.ids[k]!;
      if (this.findDuplicate(sid, tail, idHash(id), id) === undefined) return false;
    }
    return true;
  }

  /** The seq already holding `id` in the session, if any. */
  private findDuplicate(sid: number, tail: SessionTail, hash: number, id: string) {
    for (let k = tail.hashes.indexOf(hash); k !== -1; k = tail.hashes.indexOf(hash, k + 1)) {
      // Equal hashes of different ids are told apart by the id itself.
      if (this.idAt.get(sid, tail.seqs[k]!) === id) return tail.seqs[k]!;
    }
    // Seqs up to the last multiple of TIME_BLOCK are in event_ids; none below the first.
    return tail.lastSeq < TIME_BLOCK ? undefined : this.findSealedDuplicate.get(sid, hash, id);
  }

  /** Block `seq / TIME_BLOCK - 1` is complete: index its time bounds and its ids. */
  private sealBlock(sid: number, seq: number): void {
    this.sealTimeBlock.run(sid, seq / TIME_BLOCK - 1, sid, seq - TIME_BLOCK, seq);
    this.sealEventIds.run(sid, seq - TIME_BLOCK, seq);
  }

  private sessionId(name: string): number {
    let sid = this.sids.get(name);
    if (sid !== undefined) return sid;
    sid = this.findSession.get(name) ?? this.insertSession.get(name)!;
    // A rollback may undo the insert: `transaction` then clears the cache.
    this.sids.set(name, sid);
    return sid;
  }

  /**
   * With `lockWaitMs`, retries every millisecond instead of relying on busy_timeout:
   * SQLite's busy handler sleeps up to 100 ms between attempts, and against a process
   * that commits back to back (small batches on its main thread, a few tens of
   * microseconds apart) it would seldom find the lock free.
   */
  private beginImmediate(): void {
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      try {
        this.begin.run();
        return;
      } catch (error) {
        const code = (error as { code?: unknown })?.code;
        if (this.lockWaitMs === 0 || !isBusyCode(code) || Date.now() >= deadline) throw error;
      }
      sleepSync(1);
    }
  }

  private transaction(body: () => void): void {
    // IMMEDIATE takes the write lock up front (waiting busy_timeout), so a
    // read-then-write never fails half way with SQLITE_BUSY.
    this.beginImmediate();
    try {
      body();
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.sids.clear();
      this.tails.clear();
      this.rowids.forget();
      throw error;
    }
  }
}
