import { InvalidArgumentError, SchemaVersionError, StorageError } from '@history/core';
import type pg from 'pg';
import { isTransientPgError } from './is-transient.js';
import { migrationSteps } from './migration-steps.js';
import { latestVersion, loadMigrations, type Migration } from './migrations.js';
import { resolveConnection, resolveMigrateOptions } from './options.js';
import { openPool, type PostgresConnection, withClient } from './pg-connection.js';
import { quoteIdentifier } from './schema-name.js';

export interface MigrateOptions {
  /** Schema holding the store's tables; created if missing. Default `'history'`. */
  schema?: string;
  /** Hash-partition `events` by session id into this many partitions when it is created (0: none). */
  partitions?: number;
  /** With `connectionString`: as the store's option of that name (default: the string's `connect_timeout`, else 10,000 ms; 0: none). */
  connectTimeoutMs?: number;
}

export interface MigrateResult {
  /** Versions this call applied; empty when the schema was already current. */
  applied: number[];
  /** Schema version after the call. */
  version: number;
}

// The lock key is derived from the schema name server-side: the name stays a parameter.
const TRY_LOCK =
  "SELECT pg_try_advisory_lock(hashtextextended('history.migrate:' || $1, 0)) AS locked";
const UNLOCK = "SELECT pg_advisory_unlock(hashtextextended('history.migrate:' || $1, 0))";

/**
 * Brings `schema` to the latest version. Serialised by a session-level advisory
 * lock keyed on the schema name (taken by polling, see `lock`), so any number of
 * processes may call it at once and each migration is applied exactly once.
 */
export async function migrate(
  connection: PostgresConnection,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const target = resolveConnection(connection, 'connection');
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'expected an object');
  }
  const { schema, partitions, connectTimeoutMs } = resolveMigrateOptions(target, options);
  const { pool, owned } = openPool(target, 1, connectTimeoutMs);
  try {
    return await migratePool(pool, schema, partitions);
  } finally {
    if (owned) await pool.end();
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
        await lock(client, schema);
        try {
          // Under the lock: concurrent CREATE SCHEMA IF NOT EXISTS can still collide.
          await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
          await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
          )`);
          const current = await currentVersion(client, s);
          if (current > migrations.length) throw new SchemaVersionError(current, migrations.length);
          const applied: number[] = [];
          for (const migration of migrations.slice(current)) {
            await apply(client, s, migration, partitions);
            applied.push(migration.version);
          }
          return { applied, version: migrations.length };
        } finally {
          await client.query(UNLOCK, [schema]);
        }
      },
      isTransientPgError,
    );
  } catch (error) {
    throw toMigrateError(error, schema);
  }
}

/**
 * Takes the schema's migration lock, polling rather than waiting in `pg_advisory_lock`: a
 * waiting statement holds a snapshot, and `CREATE INDEX CONCURRENTLY` in the lock holder's
 * migration waits for every older snapshot to go, so a blocked waiter would deadlock it.
 */
async function lock(client: pg.PoolClient, schema: string): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(TRY_LOCK, [schema]);
    if (rows[0]?.locked) return;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

const LOCK_POLL_MS = 50;
/** Tries of a step that hit its `lock_timeout` (set by the migration for its ALTER TABLEs). */
const STEP_ATTEMPTS = 30;

/** Runs one migration with `search_path` set to the schema (the SQL files never name it). */
async function apply(client: pg.PoolClient, s: string, m: Migration, partitions: number) {
  const record = `INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`;
  if (!m.transactional) {
    await client.query("SELECT set_config('search_path', $1, false)", [s]);
    try {
      for (const step of migrationSteps(m.sql)) {
        if (step.repeat) {
          // A backfill in bounded batches: run again until a run affects no row.
          for (let affected = 1; affected > 0; ) affected = await runStep(client, step.sql);
        } else if (!step.each) await runStep(client, step.sql);
        else {
          const { rows } = await client.query<string[]>({ text: step.sql, rowMode: 'array' });
          for (const [statement] of rows) if (statement) await runStep(client, statement);
        }
      }
    } finally {
      await client.query('RESET lock_timeout');
      await client.query('RESET search_path');
    }
    await client.query(record, [m.version, m.name]);
    return;
  }
  await client.query('BEGIN');
  try {
    await client.query("SELECT set_config('search_path', $1, true)", [s]);
    await client.query("SELECT set_config('history.partitions', $1, true)", [String(partitions)]);
    await client.query(m.sql);
    await client.query(record, [m.version, m.name]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * One statement of a no-transaction migration (each is idempotent, so a migration cut short
 * is simply run again). An `ALTER TABLE` queued behind a long transaction would block every
 * writer queued behind it: the migration sets a `lock_timeout` so it gives up after a moment,
 * and it is tried again here, letting the queue through in between. Returns the rows it affected.
 */
async function runStep(client: pg.PoolClient, sql: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await client.query(sql)).rowCount ?? 0;
    } catch (error) {
      if ((error as { code?: string }).code !== '55P03' || attempt >= STEP_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** Throws unless `schema` is at exactly the version this package expects (used with `migrate: false`). */
export async function assertSchemaCurrent(pool: pg.Pool, schema: string): Promise<void> {
  let version: number;
  try {
    version = await currentVersion(pool, quoteIdentifier(schema));
  } catch (error) {
    const code = (error as { code?: string }).code;
    // undefined_table / invalid_schema_name: never migrated.
    if (code !== '42P01' && code !== '3F000') throw toMigrateError(error, schema);
    version = 0;
  }
  const latest = latestVersion();
  if (version > latest) throw new SchemaVersionError(version, latest);
  if (version < latest) {
    throw new StorageError(
      `postgres: schema is at version ${version}, this package needs ${latest}; run migrate() or open with migrate: true`,
    );
  }
}

async function currentVersion(db: pg.Pool | pg.PoolClient, s: string): Promise<number> {
  const { rows } = await db.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${s}.schema_migrations`,
  );
  return rows[0]?.version ?? 0;
}

function toMigrateError(error: unknown, schema: string): unknown {
  if (SchemaVersionError.isInstance(error) || StorageError.isInstance(error)) return error;
  return new StorageError(
    `postgres: migrating schema ${JSON.stringify(schema)} failed: ${(error as Error).message}`,
    { cause: error, transient: isTransientPgError(error) },
  );
}
