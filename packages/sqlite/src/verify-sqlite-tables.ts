import type { IntegrityCollector } from '@history/core/backend';
import type Database from 'better-sqlite3';

/** Tables whose rows belong to a session_state row (sid). */
const SESSION_TABLES = ['events', 'event_ids', 'time_blocks', 'checkpoints'] as const;
/** Checkpoints read per statement. */
const CHECKPOINT_PAGE = 500;

/**
 * What is checked once per database: SQLite's own `PRAGMA integrity_check` (every b-tree and
 * every index against its table: each line it reports is an `index-mismatch`), the feed's
 * `feed_state` row, rows of sessions `session_state` does not have, and every checkpoint's
 * JSON.
 */
export function verifySqliteTables(db: Database.Database, check: IntegrityCollector): void {
  const lines = db
    .prepare(`PRAGMA integrity_check(${Math.max(1, check.room)})`)
    .pluck()
    .all() as string[];
  for (const line of lines) {
    if (line === 'ok') continue;
    check.add({ kind: 'index-mismatch', location: 'PRAGMA integrity_check', message: line });
  }
  const feedState = db.prepare('SELECT high_water FROM feed_state WHERE id = 1').get() as
    | { high_water: unknown }
    | undefined;
  if (!feedState || !Number.isSafeInteger(feedState.high_water)) {
    check.add({
      kind: 'metadata-mismatch',
      location: 'feed_state id=1',
      message: 'the feed state row (the highest position a delete or purge removed) is missing',
    });
  }
  const known = db.prepare('SELECT 1 FROM session_state WHERE sid = ?').pluck();
  for (const table of SESSION_TABLES) {
    // One index search per distinct sid (every table's key starts with sid), not a scan.
    const nextSid = db.prepare(`SELECT min(sid) FROM ${table} WHERE sid > ?`).pluck();
    for (
      let sid = nextSid.get(-1) as number | null;
      sid !== null;
      sid = nextSid.get(sid) as number | null
    ) {
      if (known.get(sid) !== undefined) continue;
      check.add({
        kind:
          table === 'events' || table === 'checkpoints' ? 'metadata-mismatch' : 'index-mismatch',
        location: `${table} sid=${sid}`,
        message: `rows of sid ${sid}, which session_state does not have`,
      });
    }
  }
  const page = db.prepare(
    'SELECT c.sid, s.name, c.json FROM checkpoints c LEFT JOIN session_state s ON s.sid = c.sid WHERE c.sid > ? ORDER BY c.sid LIMIT ?',
  );
  for (let after = -1; ; ) {
    const rows = page.all(after, CHECKPOINT_PAGE) as Array<{
      sid: number;
      name: string | null;
      json: string;
    }>;
    for (const { sid, name, json } of rows) {
      try {
        JSON.parse(json);
      } catch (error) {
        check.add({
          kind: 'invalid-json',
          ...(name === null ? {} : { sessionId: name }),
          location: `checkpoints sid=${sid}`,
          message: `the checkpoint's payload does not parse as JSON (${(error as Error).message})`,
        });
      }
    }
    if (rows.length < CHECKPOINT_PAGE) break;
    after = rows.at(-1)!.sid;
  }
}
