import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Ceiling, CeilingRow } from '../subject.js';

/**
 * The fastest better-sqlite3 goes with no store around it: WAL, one
 * transaction per batch of pre-serialised rows into an integer-keyed table
 * with one (session, seq) index, on the main thread.
 */
export async function openSqliteCeiling(
  dir: string,
  synchronous: 'NORMAL' | 'FULL',
): Promise<Ceiling> {
  const db = new Database(join(dir, 'ceiling.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
  db.exec(`
    CREATE TABLE events (pk INTEGER PRIMARY KEY, session_id TEXT NOT NULL, seq INTEGER NOT NULL,
      id TEXT NOT NULL, occurred_at_ms INTEGER NOT NULL, json TEXT NOT NULL);
    CREATE INDEX events_session_seq ON events (session_id, seq);
  `);
  const insert = db.prepare(
    'INSERT INTO events (session_id, seq, id, occurred_at_ms, json) VALUES (?, ?, ?, ?, ?)',
  );
  const writeAll = db.transaction((rows: readonly CeilingRow[]) => {
    for (const r of rows) insert.run(r.sessionId, r.seq, r.id, r.occurredAtMs, r.json);
  });
  return {
    prepare: (rows) => [...rows],
    async writeBatch(prepared) {
      writeAll(prepared as CeilingRow[]);
    },
    async close() {
      db.close();
    },
  };
}
