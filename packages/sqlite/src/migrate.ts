import { SchemaVersionError } from '@history/core';
import type Database from 'better-sqlite3';
import { loadMigrations, type Migration } from './migrations.js';

/**
 * Brings the schema to the latest version in one transaction, tracked in
 * `PRAGMA user_version`. A no-op on an up-to-date database; refuses a
 * database written by a newer version of the package.
 */
export function migrate(db: Database.Database, migrations: Migration[] = loadMigrations()): number {
  const latest = migrations.at(-1)?.version ?? 0;
  const current = () => db.pragma('user_version', { simple: true }) as number;
  // Cheap check outside a write lock: most opens find nothing to do.
  const seen = current();
  if (seen > latest) throw new SchemaVersionError(seen, latest);
  if (seen === latest) return latest;
  db.exec('BEGIN IMMEDIATE');
  try {
    // Re-read under the lock: another process may have migrated meanwhile.
    const found = current();
    if (found > latest) throw new SchemaVersionError(found, latest);
    for (const m of migrations) {
      if (m.version <= found) continue;
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
  return latest;
}
