import type Database from 'better-sqlite3';
import { idHash } from './id-hash.js';
import { SQL } from './schema.js';
import type { WriteBatchResult, WriteBatchTask, WriteCheckpointTask } from './tasks.js';

/**
 * Owns the write connection: one `BEGIN IMMEDIATE` transaction per batch.
 * Runs synchronously, on the writer thread (or inline when `worker: false`).
 */
export class SqliteWriter {
  private readonly db: Database.Database;
  private readonly findSession: Database.Statement<[string], { sid: number }>;
  private readonly insertSession: Database.Statement<[string], { sid: number }>;
  private readonly maxSeq: Database.Statement<[number], { seq: number | null }>;
  private readonly findDuplicate: Database.Statement<[number, number, string], { seq: number }>;
  private readonly insertEvent: Database.Statement<
    [number, number, number, string, number, number, string]
  >;
  private readonly upsertCheckpoint: Database.Statement<[number, string, string, number | null]>;
  /** name -> sid; sessions are never deleted, so a cached sid stays valid across processes. */
  private readonly sids = new Map<string, number>();

  constructor(db: Database.Database) {
    this.db = db;
    // Refreshes planner statistics when stale (cheap when not, and bounded by an
    // analysis limit), so time-range pages choose between the seq and time indexes
    // on real row counts. Runs here, on the writer's thread, not on the caller's.
    try {
      db.pragma('optimize=0x10002');
    } catch {
      // Statistics are an optimisation: a busy database must not fail the writer.
    }
    this.findSession = db.prepare(SQL.findSession);
    this.insertSession = db.prepare(SQL.insertSession);
    this.maxSeq = db.prepare(SQL.maxSeq);
    this.findDuplicate = db.prepare(SQL.findDuplicate);
    this.insertEvent = db.prepare(SQL.insertEvent);
    this.upsertCheckpoint = db.prepare(SQL.upsertCheckpoint);
  }

  writeBatch(task: WriteBatchTask): WriteBatchResult {
    const n = task.ids.length;
    const jsons = task.jsons;
    const seqs = new Float64Array(n);
    const duplicates = new Uint8Array(n);
    const createdAtMs = Date.now();
    this.transaction(() => {
      // Last seq per session, read from the database under the write lock:
      // another process may have appended since our previous batch.
      const last = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const sid = this.sessionId(task.sessionIds[i]!);
        const id = task.ids[i]!;
        const hash = idHash(id);
        const existing = this.findDuplicate.get(sid, hash, id);
        if (existing) {
          seqs[i] = existing.seq;
          duplicates[i] = 1;
          continue;
        }
        let seq = last.get(sid);
        if (seq === undefined) seq = this.maxSeq.get(sid)?.seq ?? 0;
        seq++;
        last.set(sid, seq);
        this.insertEvent.run(sid, seq, hash, id, task.occurredAtMs[i]!, createdAtMs, jsons[i]!);
        seqs[i] = seq;
      }
    });
    return { seqs, duplicates };
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

  close(): void {
    if (!this.db.open) return;
    // What SQLite recommends before closing a long-lived connection.
    try {
      this.db.pragma('optimize');
    } catch {
      // Statistics are an optimisation: a busy database must not fail close().
    }
    this.db.close();
  }

  /** Must run inside a write transaction. */
  private sessionId(name: string): number {
    let sid = this.sids.get(name);
    if (sid !== undefined) return sid;
    sid = (this.findSession.get(name) ?? this.insertSession.get(name)!).sid;
    // A rollback may undo the insert: `transaction` then clears the cache.
    this.sids.set(name, sid);
    return sid;
  }

  private transaction(body: () => void): void {
    // IMMEDIATE takes the write lock up front (waiting busy_timeout), so a
    // read-then-write never fails half way with SQLITE_BUSY.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      body();
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.sids.clear();
      throw error;
    }
  }
}
