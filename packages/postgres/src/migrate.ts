import { InvalidArgumentError, SchemaVersionError, StorageError } from '@history/core';
import type pg from 'pg';
import { isTransientPgError } from './is-transient.js';
import { migrationSteps, runsOutsideTransaction } from './migration-steps.js';
import { latestVersion, loadMigrations, type Migration } from './migrations.js';
import { resolveConnection, resolveMigrateOptions } from './options.js';
import { clientLike, openPool, type PostgresConnection, withClient } from './pg-connection.js';
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

/**
 * Opens a transaction and tries the schema's migration lock in it, in one round trip. The key is
 * hashed from the schema name server-side, as the previous releases did for their session-level
 * lock: they and this one exclude each other. The simple query protocol (the name as a quoted
 * literal, not a parameter): an extended-protocol query leaves its portal open until the
 * transaction's next statement, and with it a snapshot, which `CREATE INDEX CONCURRENTLY` in
 * the migration would wait for.
 */
function tryLockSql(client: pg.Client, schema: string): string {
  const key = `hashtextextended(${client.escapeLiteral(`history.migrate:${schema}`)}, 0)`;
  // The transaction idles while the migrations run: a server-wide idle timeout must not end it.
  return `BEGIN; SET LOCAL idle_in_transaction_session_timeout = 0; SELECT pg_try_advisory_xact_lock(${key}) AS locked`;
}

/** How the lock holder's connection shows in `pg_stat_activity`. */
const MIGRATE_LOCK_APPLICATION_NAME = 'history-store-migrate-lock';

/**
 * Brings `schema` to the latest version. Serialised by a transaction-level advisory lock keyed
 * on the schema name (see `lockSchema`), so any number of processes may call it at once, through
 * a transaction pooler too, and each migration is applied exactly once.
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

/**
 * Applies pending migrations on `pool` under the schema's migration lock. Nothing here holds a
 * session: every statement runs in a transaction of its own that sets what it needs (`SET
 * LOCAL`), or alone and naming its schema, so a transaction pooler may run each on any server
 * connection.
 */
export async function migratePool(
  pool: pg.Pool,
  schema: string,
  partitions: number,
  migrations: readonly Migration[] = loadMigrations(),
): Promise<MigrateResult> {
  const s = quoteIdentifier(schema);
  try {
    const lock = await lockSchema(pool, schema);
    try {
      return await withClient(
        pool,
        async (client) => {
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
            await apply(client, s, migration, partitions, lock);
            applied.push(migration.version);
          }
          return { applied, version: migrations.length };
        },
        isTransientPgError,
      );
    } finally {
      await lock.release();
    }
  } catch (error) {
    throw toMigrateError(error, schema);
  }
}

/** The schema's migration lock while held. */
interface SchemaLock {
  /** Throws once its connection is known to be lost. */
  check(): void;
  /** Throws unless its connection still answers: the lock is held now. */
  confirm(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the schema's migration lock: `pg_try_advisory_xact_lock` in a transaction left open,
 * idle, on a connection of its own (outside the pool) while the migrations run on another. A
 * session-level lock would stay behind on a pooler's server connection; a transaction keeps its
 * server connection to itself until it ends, and its lock ends with it, or with the connection.
 * The transaction takes no id and, between statements, holds no snapshot: it never holds back
 * `CREATE INDEX CONCURRENTLY`, vacuum or the feed's horizon.
 *
 * Polling rather than waiting in `pg_advisory_xact_lock`: a waiting statement holds a snapshot,
 * and `CREATE INDEX CONCURRENTLY` in the lock holder's migration waits for every older snapshot
 * to go, so a blocked waiter would deadlock it. Each try is a transaction of its own, so waiters
 * hold no pooler server connection between tries.
 */
async function lockSchema(pool: pg.Pool, schema: string): Promise<SchemaLock> {
  const client = clientLike(pool, MIGRATE_LOCK_APPLICATION_NAME);
  let lost: Error | undefined;
  let released = false;
  client.on('error', (error) => {
    lost ??= error;
  });
  client.on('end', () => {
    if (!released) lost ??= new Error('the connection ended');
  });
  try {
    await client.connect();
    const tryLock = tryLockSql(client, schema);
    for (;;) {
      // A multi-statement query: one result per statement.
      const results = (await client.query(tryLock)) as unknown as pg.QueryResult[];
      if (results[2]?.rows[0]?.locked === true) break;
      await client.query('ROLLBACK');
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  const check = () => {
    if (lost) {
      throw new StorageError(
        `postgres: the migration lock's connection failed (${lost.message}); run the migration again`,
        { cause: lost, transient: true },
      );
    }
  };
  return {
    check,
    async confirm() {
      check();
      await client.query('SELECT 1').catch((error: Error) => {
        lost ??= error;
      });
      check();
    },
    async release() {
      released = true;
      // Ending the connection ends its transaction and the lock; ROLLBACK first says so cleanly.
      if (!lost) await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
    },
  };
}

const LOCK_POLL_MS = 50;
/** Tries of a step that hit its `lock_timeout` (set by the migration for its ALTER TABLEs). */
const STEP_ATTEMPTS = 30;

/** Runs one migration with `search_path` set to the schema (the SQL files never name it). */
async function apply(
  client: pg.PoolClient,
  s: string,
  m: Migration,
  partitions: number,
  lock: SchemaLock,
) {
  const record = `INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`;
  if (!m.transactional) {
    // `SET name = value` steps, applied as SET LOCAL to each statement's transaction.
    const settings = new Map<string, string>();
    const run = (sql: string) => runStep(client, s, settings, sql, lock);
    for (const step of migrationSteps(m.sql)) {
      if (step.setting) {
        const { name, value } = step.setting;
        if (value === undefined) settings.delete(name);
        else settings.set(name, `SET LOCAL ${name} = ${value}`);
      } else if (step.repeat) {
        // A backfill in bounded batches: run again until a run affects no row.
        for (let affected = 1; affected > 0; ) affected = (await run(step.sql)).rowCount ?? 0;
      } else if (!step.each) await run(step.sql);
      else {
        const { rows } = await run(step.sql);
        for (const [statement] of rows as string[][]) if (statement) await run(statement);
      }
    }
    // Recorded only while the lock is held: a migrator that lost it records nothing.
    await lock.confirm();
    await client.query(record, [m.version, m.name]);
    return;
  }
  lock.check();
  await client.query('BEGIN');
  try {
    await client.query("SELECT set_config('search_path', $1, true)", [s]);
    await client.query("SELECT set_config('history.partitions', $1, true)", [String(partitions)]);
    await client.query(m.sql);
    await client.query(record, [m.version, m.name]);
    await lock.confirm();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * One statement of a no-transaction migration (each is idempotent, so a migration cut short
 * is simply run again): in a transaction of its own with `search_path` and the migration's
 * settings, or, if PostgreSQL refuses it in a transaction (`runsOutsideTransaction`), alone.
 * An `ALTER TABLE` queued behind a long transaction would block every writer queued behind it:
 * the migration sets a `lock_timeout` so it gives up after a moment, and it is tried again
 * here, letting the queue through in between. Rows come in array mode.
 */
async function runStep(
  client: pg.PoolClient,
  s: string,
  settings: ReadonlyMap<string, string>,
  sql: string,
  lock: SchemaLock,
): Promise<pg.QueryResult> {
  const statement = { text: sql, rowMode: 'array' as const };
  for (let attempt = 1; ; attempt++) {
    lock.check();
    try {
      if (runsOutsideTransaction(sql)) {
        if (settings.size > 0) {
          throw new Error(
            `postgres migrations: ${[...settings.keys()].join(', ')} set (SET) before a statement that runs outside a transaction, where it cannot apply; RESET it first`,
          );
        }
        return await client.query(statement);
      }
      await client.query(
        ['BEGIN', `SET LOCAL search_path = ${s}`, ...settings.values()].join('; '),
      );
      try {
        const result = await client.query(statement);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
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
