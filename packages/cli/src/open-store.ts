import { statSync } from 'node:fs';
import { type HistoryStore, StorageError, type StoreOptions } from '@history/core';
import { loadAdapter } from './load-adapter.js';
import { parseStoreUrl, type StoreLocation } from './store-url.js';

/**
 * How a command uses a store:
 * - `read`: reads only. The store must exist; it is opened without writing where the adapter
 *   allows it (a file root read-only, beside a running writer and without its lock; a
 *   PostgreSQL schema without migrating it). SQLite has no read-only open: its open applies
 *   pending migrations.
 * - `existing`: writes (delete, purge), but never creates a store: a URL with a typo fails.
 * - `write`: writes, and creates and migrates the store when missing (import, copy's target).
 */
export type OpenMode = 'read' | 'existing' | 'write';

export interface OpenStoreOptions {
  mode?: OpenMode;
  /** Common options for the store (batch and envelope limits). */
  storeOptions?: StoreOptions;
  /** Rows per page when streaming, where the adapter has the option (SQLite, PostgreSQL). */
  pageSize?: number;
  /** SQLite: run it on worker threads (default true); `false` is quicker to open for a short command. */
  threads?: boolean;
}

export interface OpenedStore {
  store: HistoryStore;
  location: StoreLocation;
  /** Closes the store (flushing pending appends); idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the store a URL names (see `parseStoreUrl`) through its adapter package, loaded on
 * demand. Failures are the adapter's typed errors (`StorageError` for a store that does not
 * exist or cannot be read), or a `CliError` for an adapter that is not installed.
 */
export async function openStore(
  url: string | StoreLocation,
  options: OpenStoreOptions = {},
): Promise<OpenedStore> {
  const location = typeof url === 'string' ? parseStoreUrl(url) : url;
  const mode = options.mode ?? 'read';
  let store: HistoryStore;
  try {
    store = await openAdapterStore(location, mode, options);
  } catch (error) {
    throw withMigrateHint(error, location);
  }
  let closing: Promise<void> | undefined;
  return {
    store,
    location,
    close: () => {
      closing ??= store.close();
      return closing;
    },
  };
}

async function openAdapterStore(
  location: StoreLocation,
  mode: OpenMode,
  options: OpenStoreOptions,
): Promise<HistoryStore> {
  const common = options.storeOptions ?? {};
  let store: HistoryStore;
  switch (location.kind) {
    case 'file': {
      const { createFileHistoryStore } = await loadAdapter('file');
      if (mode === 'existing') {
        // A read-only open fails on a root that is not a store, and writes nothing.
        await (await createFileHistoryStore({ root: location.root, readOnly: true })).close();
      }
      store = await createFileHistoryStore({
        ...common,
        root: location.root,
        ...(mode === 'read' ? { readOnly: true } : {}),
      });
      break;
    }
    case 'sqlite': {
      const { createSqliteHistoryStore } = await loadAdapter('sqlite');
      if (mode !== 'write') assertFileExists(location.filename, location.display);
      store = await createSqliteHistoryStore({
        ...common,
        filename: location.filename,
        worker: options.threads ?? true,
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      });
      break;
    }
    case 'postgres': {
      const { createPostgresHistoryStore } = await loadAdapter('postgres');
      store = await createPostgresHistoryStore({
        ...common,
        connectionString: location.connectionString,
        ...(location.schema === undefined ? {} : { schema: location.schema }),
        migrate: mode === 'write',
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      });
      break;
    }
  }
  return store;
}

/**
 * A store that is missing, or at an older version, fails to open without writing with the
 * adapter's advice for code (`migrate()`, "open it read-write once"); on the command line the
 * advice is `history migrate`.
 */
function withMigrateHint(error: unknown, location: StoreLocation): unknown {
  if (!StorageError.isInstance(error)) return error;
  if (!/read-write once|schema is at version/.test(error.message)) return error;
  return new StorageError(
    `${error.message.replace(/; run migrate\(\).*$/, '')} (\`history migrate --store ${location.display}\` creates or upgrades it)`,
    { cause: error },
  );
}

function assertFileExists(filename: string, display: string): void {
  try {
    if (statSync(filename).isFile()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StorageError(`sqlite: cannot read ${display}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw new StorageError(
      `sqlite: no store at ${display} (the file does not exist; \`history migrate\` creates one)`,
    );
  }
  throw new StorageError(`sqlite: ${display} is not a file`);
}
