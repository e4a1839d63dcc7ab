import type { PreparedEnvelope } from '@history/core/backend';
import Database from 'better-sqlite3';
import { migrate } from '../src/migrate.js';
import { SqliteBackend } from '../src/sqlite-backend.js';
import { createInlineRunner } from '../src/threads/inline-runner.js';
import { tempDb } from './temp-db.js';

/**
 * A backend (inline runner) on a fresh migrated database, for tests that call it directly;
 * `purgeSliceMs: 0` makes each purge slice take 16 events at most (one session).
 */
export function openBackend({ purgeSliceMs }: { purgeSliceMs?: number } = {}): {
  backend: SqliteBackend;
  filename: string;
  cleanup(): Promise<void>;
} {
  const db = tempDb();
  const conn = new Database(db.filename);
  conn.pragma('journal_mode = WAL');
  migrate(conn);
  conn.close();
  const runner = createInlineRunner({
    filename: db.filename,
    durability: 'normal',
    busyTimeoutMs: 5000,
  });
  const backend = new SqliteBackend(runner, 1000, 4 * 1024 * 1024, { purgeSliceMs });
  return {
    backend,
    filename: db.filename,
    cleanup: async () => {
      await backend.close();
      db.cleanup();
    },
  };
}

/** An envelope as core would hand it to `writeBatch`. */
export function prepared(
  sessionId: string,
  id: string,
  occurredAtMs: number,
  expiresAtMs?: number,
): PreparedEnvelope {
  const json = JSON.stringify({
    id,
    type: 't',
    sessionId,
    occurredAt: new Date(occurredAtMs).toISOString(),
    payload: id,
  });
  return { id, sessionId, type: 't', occurredAtMs, expiresAtMs, json, bytes: json.length };
}
