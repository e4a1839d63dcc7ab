import {
  HistoryError,
  type IntegrityReport,
  SchemaVersionError,
  StorageError,
  type VerifyOptions,
} from '@history/core';
import {
  DuplicateIds,
  IntegrityCollector,
  type OptionRule,
  resolveVerifyOptions,
} from '@history/core/backend';
import type pg from 'pg';
import { isTransientPgError } from './is-transient.js';
import { latestVersion } from './migrations.js';
import { POSTGRES_DEFAULTS, resolveConnection } from './options.js';
import { openPool, withClient } from './pg-connection.js';
import { assertSchemaName, quoteIdentifier } from './schema-name.js';
import { verifyPostgresRows } from './verify-postgres-rows.js';

/** Checked together by `resolveConnection`, which names the field of a bad one. */
const given: OptionRule<unknown> = (value) => value;
const schemaRule: OptionRule<string> = (value, field) => {
  assertSchemaName(value, field);
  return value;
};
const VERIFY_SCHEMA = { connectionString: given, pool: given, schema: schemaRule };

/**
 * Checks the PostgreSQL store in `options.schema` (default `'history'`) with plain reads: one
 * `REPEATABLE READ READ ONLY` transaction (one snapshot; writers go on, nothing is locked
 * but the tables' `ACCESS SHARE`), every event row streamed through a cursor in primary-key
 * order beside the sessions' rows in the same order. Memory: a fetch of rows, plus 8 bytes per
 * event of the largest session. Rejects with `InvalidArgumentError` for bad options,
 * `StorageError` for a server that cannot be reached or a schema holding no store of this
 * version (`SchemaVersionError` for a newer one).
 */
export async function verifyPostgresStore(
  options: { connectionString?: string; pool?: pg.Pool; schema?: string } & VerifyOptions,
): Promise<IntegrityReport> {
  const resolved = resolveVerifyOptions(options, VERIFY_SCHEMA, {
    schema: POSTGRES_DEFAULTS.schema,
  });
  const connection = resolveConnection(options, 'options');
  const { schema } = resolved;
  const check = new IntegrityCollector(resolved);
  const { pool, owned } = openPool(connection, 1, POSTGRES_DEFAULTS.connectTimeoutMs);
  try {
    await withClient(
      pool,
      async (client) => {
        await checkSchemaVersion(client, schema);
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        try {
          await verifyPostgresRows(client, quoteIdentifier(schema), check, new DuplicateIds());
        } finally {
          await client.query('ROLLBACK');
        }
      },
      isTransientPgError,
    );
  } catch (error) {
    if (HistoryError.isInstance(error) || check.isAbortReason(error)) throw error;
    throw new StorageError(
      `postgres: cannot verify schema ${JSON.stringify(schema)}: ${firstLine(error)}`,
      { cause: error, backend: 'postgres', operation: 'verify' },
    );
  } finally {
    if (owned) await pool.end();
  }
  return check.report();
}

/** Only a schema at this package's version is verified (an older one is migrated by `migrate()`). */
async function checkSchemaVersion(client: pg.PoolClient, schema: string): Promise<void> {
  let version = 0;
  try {
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${quoteIdentifier(schema)}.schema_migrations`,
    );
    version = rows[0]?.version ?? 0;
  } catch (error) {
    // undefined_table / invalid_schema_name: no store there.
    const code = (error as { code?: string }).code;
    if (code !== '42P01' && code !== '3F000') throw error;
  }
  const latest = latestVersion();
  if (version > latest) throw new SchemaVersionError(version, latest);
  if (version === latest) return;
  throw new StorageError(
    version === 0
      ? `postgres: schema ${JSON.stringify(schema)} holds no history store`
      : `postgres: schema ${JSON.stringify(schema)} is at version ${version}; run migrate() to bring it to ${latest} before verifying it`,
    { backend: 'postgres', operation: 'verify' },
  );
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}
