import { join } from 'node:path';
import type { AppendResult, Envelope, HistoryRecord } from '@history/core';
import Database from 'better-sqlite3';
import { nextSeq } from '../next-seq.js';
import { previousCheckpoint, previousRecord, previousRow } from '../previous-row.js';
import { appendOneByOne, type BaselineStore } from '../subject.js';

interface Row {
  seq: number;
  id: string;
  session_id: string;
  envelope: string;
  created_at: string;
}

/**
 * The previous SQLite store as it was: better-sqlite3 with `journal_mode=WAL`
 * and `synchronous=NORMAL`; one autocommit `INSERT` per event on the main
 * thread; `id TEXT PRIMARY KEY` (a duplicate id throws) and no other index;
 * seqs counted in memory per session (from `MAX(seq)` on first touch); reads
 * with `COALESCE`-wrapped bounds, every row from `all()`, then `JSON.parse`.
 */
export async function openSqliteBaseline(dir: string): Promise<BaselineStore> {
  const db = new Database(join(dir, 'baseline.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, session_id TEXT, seq INTEGER, occurred_at TEXT, envelope TEXT, created_at TEXT);
    CREATE TABLE IF NOT EXISTS checkpoints (session_id TEXT, payload TEXT, seq INTEGER, created_at TEXT);
  `);
  const insert = db.prepare(
    'INSERT INTO events (id, session_id, seq, occurred_at, envelope, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const maxSeq = db.prepare('SELECT MAX(seq) AS seq FROM events WHERE session_id = ?');
  const select = db.prepare(`
    SELECT seq, id, session_id, envelope, created_at FROM events
    WHERE session_id = ? AND seq > COALESCE(?, 0)
      AND occurred_at >= COALESCE(?, occurred_at) AND occurred_at <= COALESCE(?, occurred_at)
    ORDER BY seq LIMIT COALESCE(?, -1)`);
  const deleteCheckpoint = db.prepare('DELETE FROM checkpoints WHERE session_id = ?');
  const insertCheckpoint = db.prepare(
    'INSERT INTO checkpoints (session_id, payload, seq, created_at) VALUES (?, ?, ?, ?)',
  );
  const selectCheckpoint = db.prepare(
    'SELECT session_id, payload, seq, created_at FROM checkpoints WHERE session_id = ?',
  );
  const seqOf = nextSeq((sessionId) => (maxSeq.get(sessionId) as { seq: number | null }).seq ?? 0);

  const append = async (envelope: Envelope): Promise<AppendResult> => {
    const sessionId = envelope.sessionId ?? 'default';
    const seq = seqOf(sessionId);
    insert.run(...previousRow(envelope, sessionId, seq, new Date().toISOString()));
    return { id: envelope.id, sessionId, seq, duplicate: false };
  };

  return {
    append,
    appendMany: appendOneByOne(append),
    async *stream(sessionId, range = {}): AsyncIterable<HistoryRecord> {
      // Timestamps compared as text, as the previous store did.
      const rows = select.all(
        sessionId,
        range.after ?? null,
        range.from ?? null,
        range.to ?? null,
        range.limit ?? null,
      ) as Row[];
      for (const row of rows) yield previousRecord(row);
    },
    async checkpoint(sessionId, payload, opts) {
      deleteCheckpoint.run(sessionId);
      insertCheckpoint.run(
        sessionId,
        JSON.stringify(payload),
        opts?.seq ?? null,
        new Date().toISOString(),
      );
    },
    async getCheckpoint(sessionId) {
      const row = selectCheckpoint.get(sessionId) as
        | { session_id: string; payload: string; seq: number | null; created_at: string }
        | undefined;
      return row ? previousCheckpoint(row) : null;
    },
    async close() {
      db.close();
    },
    async bulkLoad(envelopes) {
      // The rows per-event appends would have written, in one transaction to save minutes.
      const createdAt = new Date().toISOString();
      db.transaction(() => {
        for (const e of envelopes) {
          const sessionId = e.sessionId ?? 'default';
          insert.run(...previousRow(e, sessionId, seqOf(sessionId), createdAt));
        }
      })();
    },
  };
}
