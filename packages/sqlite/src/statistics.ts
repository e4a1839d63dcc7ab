import type Database from 'better-sqlite3';

/**
 * Planner statistics without `sqlite_stat4`. better-sqlite3 is built with
 * SQLITE_ENABLE_STAT4; once stat4 samples exist, every statement whose plan a
 * bound value could change is re-prepared whenever that binding changes, which
 * is every id lookup and seq read of a batch: measured 2-4x slower per row.
 * `sqlite_stat1` (rows per key) is all the planner needs (every query has one
 * index that serves it), so stat4 rows are removed in the transaction that
 * wrote them and no connection ever loads them.
 */
export function refreshStatistics(db: Database.Database, optimize: 'open' | 'close'): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    // 0x10002 at open: analyse only tables whose size changed a lot, within a limit.
    db.pragma(optimize === 'open' ? 'optimize=0x10002' : 'optimize');
    dropStat4(db);
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  // Reloads this connection's statistics from the tables as they now are.
  db.exec('ANALYZE sqlite_schema');
}

/** Empties `sqlite_stat4` if it has rows (databases written before statistics were trimmed). */
export function dropStat4(db: Database.Database): void {
  const exists = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4'").get();
  if (exists && db.prepare('SELECT 1 FROM sqlite_stat4 LIMIT 1').get()) {
    db.exec('DELETE FROM sqlite_stat4');
  }
}
