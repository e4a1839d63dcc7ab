import { join } from 'node:path';
import type { Envelope } from '@history/core';
import Database from 'better-sqlite3';
import { nextSeq } from '../next-seq.js';
import type { Floor } from '../subject.js';

/**
 * better-sqlite3 serving P awaiting producers: per round, `JSON.stringify` of
 * each envelope and one transaction inserting them all, on the main thread,
 * WAL with synchronous=NORMAL (the adapter's default), into an integer-keyed
 * table with one (session, seq) index; seqs counted in memory.
 */
export async function openSqliteFloor(dir: string): Promise<Floor> {
  const db = new Database(join(dir, 'floor.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE events (pk INTEGER PRIMARY KEY, session_id TEXT NOT NULL, seq INTEGER NOT NULL,
      id TEXT NOT NULL, json TEXT NOT NULL);
    CREATE INDEX events_session_seq ON events (session_id, seq);
  `);
  const insert = db.prepare('INSERT INTO events (session_id, seq, id, json) VALUES (?, ?, ?, ?)');
  const seqOf = nextSeq(() => 0);
  const writeAll = db.transaction((envelopes: readonly Envelope[]) => {
    for (const e of envelopes) {
      const sessionId = e.sessionId ?? 'default';
      const seq = seqOf(sessionId);
      insert.run(sessionId, seq, e.id, JSON.stringify(e));
    }
  });
  return {
    async writeRound(envelopes) {
      writeAll(envelopes);
    },
    async close() {
      db.close();
    },
  };
}
