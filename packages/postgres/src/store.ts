import type { HistoryStore } from '@history/core';
import { createBackendStore } from '@history/core/backend';
import { assertSchemaCurrent, migratePool } from './migrate.js';
import {
  type PostgresHistoryStoreOptions,
  resolvePostgresOptions,
  resolvePostgresStoreOptions,
} from './options.js';
import { type OpenedPool, openPool } from './pg-connection.js';
import { PostgresBackend } from './postgres-backend.js';

/**
 * Opens a history store on PostgreSQL. With `connectionString` the store
 * creates (and on close ends) its own pool; a caller's `pool` is never ended.
 * Migrates the schema first unless `migrate: false`. A server that does not complete a
 * connection within `connectTimeoutMs` fails the open with a transient `StorageError`, after
 * the store's own pool is ended.
 */
export async function createPostgresHistoryStore(
  options: PostgresHistoryStoreOptions,
): Promise<HistoryStore> {
  const resolved = resolvePostgresOptions(options);
  // Validate the common options too before touching the database.
  const storeOptions = resolvePostgresStoreOptions(options);
  const { pool, owned } = openPool(
    resolved.connection,
    resolved.poolSize,
    resolved.connectTimeoutMs,
  );
  try {
    if (resolved.migrate) await migratePool(pool, resolved.schema, resolved.partitions);
    else await assertSchemaCurrent(pool, resolved.schema);
  } catch (error) {
    if (owned) await pool.end();
    throw error;
  }
  // Not connected to before a read needs it: a standby that is down does not stop the store opening.
  const { replica } = resolved;
  const backend = new PostgresBackend({
    pool,
    ownsPool: owned,
    schema: resolved.schema,
    copyThreshold: resolved.copyThreshold,
    pageSize: resolved.pageSize,
    pageBytes: resolved.pageBytes,
    notify: resolved.notify,
    poolMode: resolved.poolMode,
    listenConnectionString: resolved.listenConnectionString,
    replicaReads: replica && {
      ...replica,
      ...replicaPool(openPool(replica.connection, replica.poolSize, replica.connectTimeoutMs)),
    },
  });
  return createBackendStore(backend, storeOptions);
}

function replicaPool({ pool, owned }: OpenedPool) {
  return { pool, ownsPool: owned };
}
