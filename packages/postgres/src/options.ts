import { InvalidArgumentError, type StoreOptions } from '@history/core';
import {
  DEFAULT_PAGE_BYTES,
  type OptionRule,
  type OptionsSchema,
  optionRule,
  type ResolvedOptions,
  type ResolvedStoreOptions,
  resolveAdapterOptions,
  resolveStoreOptions,
} from '@history/core/backend';
import type pg from 'pg';
import type { PostgresConnection } from './pg-connection.js';
import {
  type PostgresReplicaOptions,
  type ReplicaOptionValue,
  type ResolvedReplicaOptions,
  replicaOptionRule,
} from './replica-options.js';
import { assertSchemaName } from './schema-name.js';

/** Adapter options of `createPostgresHistoryStore`, besides the connection. */
export interface PostgresAdapterOptions {
  /** Schema holding the store's tables (quoted as an identifier). Default `'history'`. */
  schema?: string;
  /** Run pending migrations on open (under an advisory lock). Default `true`. */
  migrate?: boolean;
  /** Batches of at least this many records are written with COPY into a staging table; the others as one statement with bind parameters. Default: never (the bind path is faster at every size, see README). */
  copyThreshold?: number;
  /** Rows fetched per keyset page when streaming. Default 1000. */
  pageSize?: number;
  /**
   * Most envelope JSON (bytes, `octet_length`) in one page of a stream; a larger envelope
   * is a page alone. Default 4 MiB (`DEFAULT_PAGE_BYTES`).
   */
  pageBytes?: number;
  /** Size of the pool the store creates from `connectionString` (ignored with `pool`). Default 8. */
  poolSize?: number;
  /** Hash-partition `events` by session id into this many partitions when the schema is created. Default 0 (none). */
  partitions?: number;
  /**
   * Milliseconds a new connection of the pool the store creates may take to connect (TCP
   * connect to the server's first ReadyForQuery); 0 waits forever. Default: the connection
   * string's `connect_timeout` (seconds) if present, else 10,000. Ignored with `pool`.
   */
  connectTimeoutMs?: number;
  /**
   * Wake followers in other processes at once: NOTIFY after each batch commits, and LISTEN on
   * one dedicated connection while the store has followers. With `false` they find other
   * processes' commits by polling every `followPollMs`. Default `true`.
   */
  notify?: boolean;
  /**
   * How the connection is pooled: `'session'` (a direct connection, or PgBouncer's session
   * pooling) or `'transaction'` (PgBouncer's `pool_mode = transaction` and the like, where each
   * transaction may run on another server connection): then statements are not prepared, and
   * followers LISTEN only on `listenConnectionString` (without it they poll). Default `'session'`.
   */
  poolMode?: 'session' | 'transaction';
  /**
   * A direct connection (no transaction pooler) for the one LISTEN connection of the store's
   * followers. Default: the store's own connection, unless `poolMode` is `'transaction'`.
   */
  listenConnectionString?: string;
  /**
   * A hot standby of the primary (streaming replication) serving `stream`, `feed`,
   * `listSessions` and `getSession`; a read waits for it to replay this store's completed
   * writes first, or reads the primary (see README "Read replicas"). Default: none.
   */
  replica?: PostgresReplicaOptions;
}

/** Where to connect, as the options spell it; exactly one is given. */
interface PostgresConnectionOptions {
  connectionString?: string;
  pool?: pg.Pool;
}

export type PostgresHistoryStoreOptions = (
  | { connectionString: string; pool?: undefined }
  | { pool: pg.Pool; connectionString?: undefined }
) &
  PostgresAdapterOptions &
  StoreOptions;

/**
 * Every default of the adapter's options, and of the common options PostgreSQL tunes, here and
 * nowhere else (the README table states them).
 */
export const POSTGRES_DEFAULTS = {
  schema: 'history',
  migrate: true,
  // Measured with scripts/measure-copy-crossover.mjs (see README): since the bind-parameter
  // statement sends envelopes as one text, COPY is slower at every batch size: off unless asked for.
  copyThreshold: Number.POSITIVE_INFINITY,
  pageSize: 1000,
  pageBytes: DEFAULT_PAGE_BYTES,
  // Room for maxConcurrentBatches writes plus concurrent reads.
  poolSize: 8,
  partitions: 0,
  // When the connection string has no connect_timeout either.
  connectTimeoutMs: 10_000,
  notify: true,
  poolMode: 'session',
  // Batches up to 5000: bulk appends commit fewer, larger statements (core's default is 1000).
  maxBatchSize: 5000,
  // Batches written at once (never two on one session): 16 agents appending to 16 sessions
  // no longer queue behind one commit; PostgreSQL groups the WAL flushes of parallel commits.
  maxConcurrentBatches: 4,
} as const satisfies Partial<PostgresAdapterOptions & StoreOptions>;

const connectionString: OptionRule<string> = (value, field) => {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidArgumentError(field, 'expected a non-empty string');
  }
  return value;
};

const pool: OptionRule<pg.Pool> = (value, field) => {
  const p = value as { connect?: unknown; query?: unknown } | null | undefined;
  if (typeof p?.connect !== 'function' || typeof p.query !== 'function') {
    throw new InvalidArgumentError(field, 'expected a pg Pool');
  }
  return value as pg.Pool; // what a pg Pool is, as far as the store uses it
};

const schemaName: OptionRule<string> = (value, field) => {
  assertSchemaName(value, field);
  return value;
};

const POSTGRES_SCHEMA = {
  // Checked together by resolveConnection first; listed so they are known keys.
  connectionString: optionRule.optional(connectionString),
  pool: optionRule.optional(pool),
  schema: schemaName,
  migrate: optionRule.boolean,
  copyThreshold: optionRule.integer(1),
  pageSize: optionRule.integer(1),
  pageBytes: optionRule.integer(1),
  poolSize: optionRule.integer(1),
  partitions: optionRule.integer(0, 1024),
  connectTimeoutMs: optionRule.integer(0),
  notify: optionRule.boolean,
  poolMode: optionRule.oneOf('session', 'transaction'),
  listenConnectionString: optionRule.optional(connectionString),
  replica: optionRule.optional(replicaOptionRule(resolveConnection)),
  // The replica's rule turns the option into its checked form (its connection resolved).
} satisfies OptionsSchema<
  Omit<PostgresAdapterOptions, 'replica'> &
    PostgresConnectionOptions & { replica?: ReplicaOptionValue }
>;

const MIGRATE_SCHEMA = {
  schema: POSTGRES_SCHEMA.schema,
  partitions: POSTGRES_SCHEMA.partitions,
  connectTimeoutMs: POSTGRES_SCHEMA.connectTimeoutMs,
};

export type ResolvedPostgresOptions = Omit<ResolvedOptions<typeof POSTGRES_SCHEMA>, 'replica'> & {
  connection: PostgresConnection;
  replica: ResolvedReplicaOptions | undefined;
};

/** Validates the adapter's own options; the common ones are left to `resolveStoreOptions`. */
export function resolvePostgresOptions(options: unknown): ResolvedPostgresOptions {
  const connection = resolveConnection(options, 'options');
  const defaults = { ...POSTGRES_DEFAULTS, connectTimeoutMs: connectTimeoutDefault(connection) };
  const resolved = resolveAdapterOptions(options, POSTGRES_SCHEMA, defaults);
  const { replica } = resolved;
  return {
    ...resolved,
    connection,
    replica: replica && {
      ...replica,
      poolSize: replica.poolSize ?? resolved.poolSize,
      // The store's option when given; else the replica's own URL says, as the store's does.
      connectTimeoutMs:
        (options as { connectTimeoutMs?: unknown }).connectTimeoutMs === undefined
          ? connectTimeoutDefault(replica.connection, 'options.replica.connectionString')
          : resolved.connectTimeoutMs,
    },
  };
}

/** Validates the common options, with the defaults PostgreSQL tunes. */
export function resolvePostgresStoreOptions(options: unknown): ResolvedStoreOptions {
  const { maxBatchSize, maxConcurrentBatches } = POSTGRES_DEFAULTS;
  return resolveStoreOptions(options, { maxBatchSize, maxConcurrentBatches });
}

/**
 * The options `migrate()` shares with the store, with the same rules and defaults. It ignores
 * any other key, so a store's whole options object may be passed.
 */
export function resolveMigrateOptions(
  connection: PostgresConnection,
  options: { schema?: unknown; partitions?: unknown; connectTimeoutMs?: unknown },
): { schema: string; partitions: number; connectTimeoutMs: number } {
  const { schema, partitions, connectTimeoutMs } = options;
  const defaults = { ...POSTGRES_DEFAULTS, connectTimeoutMs: connectTimeoutDefault(connection) };
  return resolveAdapterOptions({ schema, partitions, connectTimeoutMs }, MIGRATE_SCHEMA, defaults);
}

/**
 * Exactly one of `connectionString` or `pool` of `value`; throws `InvalidArgumentError` naming
 * `field` (both or neither) or the one that is malformed.
 */
export function resolveConnection(value: unknown, field: string): PostgresConnection {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, 'expected { connectionString } or { pool }');
  }
  const c: { connectionString?: unknown; pool?: unknown } = value;
  if (c.pool !== undefined && c.connectionString !== undefined) {
    throw new InvalidArgumentError(field, 'give either connectionString or pool, not both');
  }
  if (c.pool !== undefined) return { pool: pool(c.pool, `${field}.pool`) };
  return { connectionString: connectionString(c.connectionString, `${field}.connectionString`) };
}

/**
 * `connectTimeoutMs` when the option is absent: the connection string's `connect_timeout`
 * (seconds, as libpq: zero or negative waits forever), else the default.
 */
function connectTimeoutDefault(
  connection: PostgresConnection,
  field = 'options.connectionString',
): number {
  if ('pool' in connection) return POSTGRES_DEFAULTS.connectTimeoutMs; // unused: the caller's pool
  const seconds = urlConnectTimeout(connection.connectionString);
  if (seconds === undefined) return POSTGRES_DEFAULTS.connectTimeoutMs;
  if (!/^\s*[+-]?\d+\s*$/.test(seconds) || !Number.isSafeInteger(Number(seconds) * 1000)) {
    throw new InvalidArgumentError(field, 'connect_timeout must be an integer number of seconds');
  }
  return Math.max(0, Number(seconds) * 1000);
}

/** The `connect_timeout` parameter of a URL connection string, as pg parses it. */
function urlConnectTimeout(connectionString: string): string | undefined {
  // Socket paths ('/tmp dbname') carry no parameters.
  if (connectionString.startsWith('/')) return undefined;
  let url: URL;
  try {
    url = new URL(connectionString, 'postgres://base');
  } catch {
    return undefined; // pg reports the malformed string when it connects
  }
  return url.searchParams.get('connect_timeout') ?? undefined;
}
