import { join } from 'node:path';
import type { AppendResult, Envelope, HistoryRecord } from '@history/core';
import Database from 'better-sqlite3';
import { appendOneByOne, type BaselineStore } from '../subject.js';

interface Row {
  seq: number;
  id: string;
  session_id: string;
  envelope: string;
  created_at: string;
}

/**
 * The previous SQLite store: better-sqlite3 with no pragmas (its defaults:
 * rollback journal, synchronous=FULL), synchronous statements inside async
 * methods, one row per statement and transaction, no indexes, and range
 * predicates wrapped in COALESCE so no index could have served them anyway.
 */
export async function openSqliteBaseline(dir: string): Promise<BaselineStore> {
  const db = new Database(join(dir, 'baseline.sqlite'));
  db.exec(`
    CREATE TABLE IF NOT EXISTS events (session_id TEXT, seq INTEGER, id TEXT, occurred_at TEXT, envelope TEXT, created_at TEXT);
    CREATE TABLE IF NOT EXISTS checkpoints (session_id TEXT, payload TEXT, seq INTEGER, created_at TEXT);
  `);
  const insert = db.prepare(`
    INSERT INTO events (session_id, seq, id, occurred_at, envelope, created_at)
    VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE session_id = ?), ?, ?, ?, ?)
    RETURNING seq`);
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

  const append = async (envelope: Envelope): Promise<AppendResult> => {
    const sessionId = envelope.sessionId ?? 'default';
    const { seq } = insert.get(
      sessionId,
      sessionId,
      envelope.id,
      envelope.occurredAt,
      JSON.stringify(envelope),
      new Date().toISOString(),
    ) as { seq: number };
    return { id: envelope.id, sessionId, seq, duplicate: false };
  };

  return {
    append,
    appendMany: appendOneByOne(append),
    async *stream(sessionId, range = {}): AsyncIterable<HistoryRecord> {
      // Timestamps compared as text, as the previous store did.
      for (const row of select.iterate(
        sessionId,
        range.after ?? null,
        range.from ?? null,
        range.to ?? null,
        range.limit ?? null,
      ) as Iterable<Row>) {
        yield {
          id: row.id,
          sessionId: row.session_id,
          seq: row.seq,
          envelope: JSON.parse(row.envelope),
          createdAt: row.created_at,
        };
      }
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
      if (!row) return null;
      return {
        sessionId: row.session_id,
        payload: JSON.parse(row.payload),
        createdAt: row.created_at,
        ...(row.seq === null ? {} : { seq: row.seq }),
      };
    },
    async close() {
      db.close();
    },
    async bulkLoad(envelopes) {
      const load = db.prepare(
        'INSERT INTO events (session_id, seq, id, occurred_at, envelope, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      );
      const createdAt = new Date().toISOString();
      db.transaction(() => {
        envelopes.forEach((e, i) => {
          load.run(
            e.sessionId ?? 'default',
            i + 1,
            e.id,
            e.occurredAt,
            JSON.stringify(e),
            createdAt,
          );
        });
      })();
    },
  };
}
