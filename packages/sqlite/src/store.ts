import { HistoryError, type HistoryStore, StorageError } from '@history/core';
import { createBackendStore, resolveStoreOptions } from '@history/core/backend';
import { openConnection } from './connection.js';
import { migrate } from './migrate.js';
import { resolveSqliteConfig, type SqliteStoreOptions } from './options.js';
import { SqliteBackend } from './sqlite-backend.js';
import { dropStat4 } from './statistics.js';
import { createInlineRunner } from './threads/inline-runner.js';
import { createThreadRunner } from './threads/thread-runner.js';

/**
 * Opens (creating and migrating if needed) a SQLite history store. SQLite
 * runs on worker threads by default, so the event loop never waits on disk.
 */
export async function createSqliteHistoryStore(options: SqliteStoreOptions): Promise<HistoryStore> {
  const config = resolveSqliteConfig(options);
  // Core validates its own keys and leaves the adapter's alone.
  // Followers are woken by the data_version check (`changeCheckMs`): their own reads
  // again are a fallback, once a second.
  const storeOptions = resolveStoreOptions(options, { followPollMs: 1000 });
  prepareDatabase(config);
  const runner = config.worker ? createThreadRunner(config) : createInlineRunner(config);
  return createBackendStore(
    new SqliteBackend(runner, config.pageSize, config.pageBytes, {
      changeCheckMs: config.changeCheckMs,
    }),
    storeOptions,
  );
}

/** Sets WAL and applies pending migrations, on a short-lived connection. */
function prepareDatabase(config: ReturnType<typeof resolveSqliteConfig>): void {
  let db: ReturnType<typeof openConnection>;
  try {
    db = openConnection(config);
  } catch (error) {
    throw new StorageError(
      `sqlite: cannot open ${config.filename}: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }
  try {
    migrate(db);
    // Before any other connection of the process loads them (see statistics.ts).
    dropStat4(db);
  } catch (error) {
    if (HistoryError.isInstance(error)) throw error;
    throw new StorageError(
      `sqlite: cannot migrate ${config.filename}: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  } finally {
    db.close();
  }
}
