import {
  HistoryError,
  type IntegrityReport,
  SchemaVersionError,
  StorageError,
  type VerifyOptions,
} from '@history/core';
import { DuplicateIds, IntegrityCollector, resolveVerifyOptions } from '@history/core/backend';
import Database from 'better-sqlite3';
import { loadMigrations } from './migrations.js';
import { filenameRule } from './options.js';
import { verifySqliteSessions } from './verify-sqlite-sessions.js';
import { verifySqliteTables } from './verify-sqlite-tables.js';

const VERIFY_SCHEMA = { filename: filenameRule };

/**
 * Checks the SQLite store in `options.filename` on a read-only connection, in one read
 * transaction (one snapshot: a writer may go on meanwhile, WAL keeps the snapshot whole):
 * `PRAGMA integrity_check`, every event row (streamed in pages along the `(sid, seq)` index),
 * the idempotency and time indexes, `session_state` and checkpoints. Memory: a page of rows,
 * plus 8 bytes per event of the largest session. Rejects with `InvalidArgumentError` for bad
 * options, `StorageError` for a file that is missing or not a store of this schema version
 * (`SchemaVersionError` for a newer one).
 */
export async function verifySqliteStore(
  options: { filename: string } & VerifyOptions,
): Promise<IntegrityReport> {
  const resolved = resolveVerifyOptions(options, VERIFY_SCHEMA);
  const { filename } = resolved;
  const check = new IntegrityCollector(resolved);
  let db: Database.Database;
  try {
    db = new Database(filename, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new StorageError(`sqlite: cannot open ${filename}: ${firstLine(error)}`, {
      cause: error,
      backend: 'sqlite',
      operation: 'verify',
    });
  }
  try {
    // As the store's connections: memory-mapped reads skip a copy per page (address space only).
    db.pragma('mmap_size = 1073741824');
    checkSchemaVersion(db, filename);
    // One snapshot for every statement below; a read transaction takes no write lock.
    db.exec('BEGIN');
    try {
      verifySqliteTables(db, check);
      await verifySqliteSessions(db, check, new DuplicateIds());
    } finally {
      db.exec('ROLLBACK');
    }
  } catch (error) {
    if (HistoryError.isInstance(error) || check.isAbortReason(error)) throw error;
    throw new StorageError(`sqlite: cannot verify ${filename}: ${firstLine(error)}`, {
      cause: error,
      backend: 'sqlite',
      operation: 'verify',
    });
  } finally {
    db.close();
  }
  return check.report();
}

/** Only a database at this package's schema version is verified (an older one is migrated by a writable open). */
function checkSchemaVersion(db: Database.Database, filename: string): void {
  const latest = loadMigrations().at(-1)?.version ?? 0;
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > latest) throw new SchemaVersionError(version, latest);
  if (version === latest) return;
  throw new StorageError(
    version === 0
      ? `sqlite: ${filename} is not a history store (schema version 0)`
      : `sqlite: ${filename} has schema version ${version}; open it read-write once to migrate it to ${latest} before verifying it`,
    { backend: 'sqlite', operation: 'verify' },
  );
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}
