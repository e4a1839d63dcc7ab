import { readdirSync, readFileSync } from 'node:fs';
import { SchemaVersionError, StorageError } from '@history/core';
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Where the build copies `migrations/sqlite/*.sql`: beside `dist/` (and `src/`). */
const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** The shipped migrations, ordered by their `NNNN_` version prefix. */
export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new StorageError(`sqlite: migrations not found in ${dir.pathname}`, { cause: error });
  }
  return names
    .flatMap((name) => {
      const match = /^(\d+)_.+\.sql$/.exec(name);
      if (!match) return [];
      return [{ version: Number(match[1]), name, sql: readFileSync(new URL(name, dir), 'utf8') }];
    })
    .sort((a, b) => a.version - b.version);
}

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
