import { InvalidArgumentError, SchemaVersionError, StorageError } from '@history/core';
import type pg from 'pg';
import { isTransientPgError } from './is-transient.js';
import { latestVersion, loadMigrations, type Migration } from './migrations.js';
import { openPool, type PostgresConnection, withClient } from './pg-connection.js';
import { assertSchemaName, DEFAULT_SCHEMA, quoteIdentifier } from './schema-name.js';

export interface MigrateOptions {
  /** Schema holding the store's tables; created if missing. Default `'history'`. */
  schema?: string;
  /** Hash-partition `events` by session id into this many partitions when it is created (0: none). */
  partitions?: number;
}

export interface MigrateResult {
  /** Versions this call applied; empty when the schema was already current. */
  applied: number[];
  /** Schema version after the call. */
  version: number;
}

/**
 * Brings `schema` to the latest version. Serialised by a session-level
 * `pg_advisory_lock` keyed on the schema name, so any number of processes may
 * call it at once and each migration is applied exactly once.
 */
export async function migrate(
  connection: PostgresConnection,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  assertConnection(connection, 'connection');
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema, 'options.schema');
  const partitions = options.partitions ?? 0;
  assertPartitions(partitions, 'options.partitions');
  const { pool, owned } = openPool(connection, 1);
  try {
    return await migratePool(pool, schema, partitions);
  } finally {
    if (owned) await pool.end();
  }
}

export function assertConnection(
  value: unknown,
  field: string,
): asserts value is PostgresConnection {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(field, 'expected { connectionString } or { pool }');
  }
  const c = value as { connectionString?: unknown; pool?: unknown };
  if (c.pool !== undefined && c.connectionString !== undefined) {
    throw new InvalidArgumentError(field, 'give either connectionString or pool, not both');
  }
  if (c.pool !== undefined) {
    const pool = c.pool as { connect?: unknown; query?: unknown } | null;
    if (typeof pool?.connect !== 'function' || typeof pool.query !== 'function') {
      throw new InvalidArgumentError(`${field}.pool`, 'expected a pg Pool');
    }
    return;
  }
  if (typeof c.connectionString !== 'string' || c.connectionString.length === 0) {
    throw new InvalidArgumentError(`${field}.connectionString`, 'expected a non-empty string');
  }
}

export function assertPartitions(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1024) {
    throw new InvalidArgumentError(field, 'expected an integer from 0 to 1024');
  }
}

/** Applies pending migrations on `pool` under the schema's advisory lock. */
export async function migratePool(
  pool: pg.Pool,
  schema: string,
  partitions: number,
  migrations: readonly Migration[] = loadMigrations(),
): Promise<MigrateResult> {
  const s = quoteIdentifier(schema);
  try {
    return await withClient(
      pool,
      async (client) => {
        // Parameters, not text: the key is derived from the schema name server-side.
        await client.query(
          "SELECT pg_advisory_lock(hashtextextended('history.migrate:' || $1, 0))",
          [schema],
        );
        try {
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
          await client.query(
            `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`,
          );
          const current = await currentVersion(client, s);
          if (current > migrations.length) throw new SchemaVersionError(current, migrations.length);
          const applied: number[] = [];
          for (const m of migrations.slice(current)) {
            if (m.transactional) {
              await client.query('BEGIN');
              try {
                await client.query("SELECT set_config('search_path', $1, true)", [s]);
                await client.query("SELECT set_config('history.partitions', $1, true)", [
                  String(partitions),
                ]);
                await client.query(m.sql);
                await recordVersion(client, s, m.version, m.name);
                await client.query('COMMIT');
              } catch (error) {
                await client.query('ROLLBACK').catch(() => {});
                throw error;
              }
            } else {
              // CREATE INDEX CONCURRENTLY cannot run in a transaction: one statement per such file.
              await client.query("SELECT set_config('search_path', $1, false)", [s]);
              try {
                await client.query(m.sql);
              } finally {
                await client.query('RESET search_path');
              }
              await recordVersion(client, s, m.version, m.name);
            }
            applied.push(m.version);
          }
          return { applied, version: migrations.length };
        } finally {
          await client.query(
            "SELECT pg_advisory_unlock(hashtextextended('history.migrate:' || $1, 0))",
            [schema],
          );
        }
      },
      isTransientPgError,
    );
  } catch (error) {
    throw toMigrateError(error, schema);
  }
}

/** Throws unless `schema` is at exactly the version this package expects (used with `migrate: false`). */
export async function assertSchemaCurrent(pool: pg.Pool, schema: string): Promise<void> {
  const client = await connect(pool);
  try {
    let version: number;
    try {
      version = await currentVersion(client, quoteIdentifier(schema));
    } catch (error) {
      if (
        (error as { code?: string }).code === '42P01' ||
        (error as { code?: string }).code === '3F000'
      ) {
        version = 0;
      } else {
        throw error;
      }
    }
    const latest = latestVersion();
    if (version > latest) throw new SchemaVersionError(version, latest);
    if (version < latest) {
      throw new StorageError(
        `postgres: schema is at version ${version}, this package needs ${latest}; run migrate() or open with migrate: true`,
      );
    }
  } catch (error) {
    throw toMigrateError(error, schema);
  } finally {
    client.release();
  }
}

async function connect(pool: pg.Pool): Promise<pg.PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw new StorageError(`postgres: cannot connect: ${(error as Error).message}`, {
      cause: error,
      transient: isTransientPgError(error),
    });
  }
}

async function currentVersion(client: pg.PoolClient, s: string): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${s}.schema_migrations`,
  );
  return rows[0]?.version ?? 0;
}

async function recordVersion(client: pg.PoolClient, s: string, version: number, name: string) {
  await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [
    version,
    name,
  ]);
}

function toMigrateError(error: unknown, schema: string): unknown {
  if (SchemaVersionError.isInstance(error) || StorageError.isInstance(error)) return error;
  return new StorageError(
    `postgres: migrating schema ${JSON.stringify(schema)} failed: ${(error as Error).message}`,
    { cause: error, transient: isTransientPgError(error) },
  );
}
