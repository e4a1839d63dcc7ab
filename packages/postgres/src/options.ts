import {
  assertKnownOptions,
  DEFAULT_PAGE_BYTES,
  InvalidArgumentError,
  type StoreOptions,
} from '@history/core';
import type pg from 'pg';
import type { PostgresConnection } from './pg-connection.js';
import { assertSchemaName, DEFAULT_SCHEMA } from './schema-name.js';

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
}

export type PostgresHistoryStoreOptions = (
  | { connectionString: string; pool?: undefined }
  | { pool: pg.Pool; connectionString?: undefined }
) &
  PostgresAdapterOptions &
  StoreOptions;

export interface ResolvedPostgresOptions {
  connection: PostgresConnection;
  schema: string;
  migrate: boolean;
  copyThreshold: number;
  pageSize: number;
  pageBytes: number;
  poolSize: number;
  partitions: number;
  /** 0: no timeout. */
  connectTimeoutMs: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

// Measured with scripts/measure-copy-crossover.mjs (see README): since the bind-parameter
// statement sends envelopes as one text, COPY is slower at every batch size: off unless asked for.
export const DEFAULT_COPY_THRESHOLD = Number.POSITIVE_INFINITY;
// Batches up to 5000: bulk appends commit fewer, larger statements (core's default is 1000).
export const DEFAULT_MAX_BATCH_SIZE = 5000;
export const DEFAULT_PAGE_SIZE = 1000;
// Room for DEFAULT_CONCURRENT_BATCHES writes plus concurrent reads.
export const DEFAULT_POOL_SIZE = 8;
// Batches written at once (never two on one session): 16 agents appending to 16 sessions
// no longer queue behind one commit; PostgreSQL groups the WAL flushes of parallel commits.
export const DEFAULT_CONCURRENT_BATCHES = 4;

const ADAPTER_KEYS: readonly (keyof PostgresAdapterOptions | 'connectionString' | 'pool')[] = [
  'connectionString',
  'pool',
  'schema',
  'migrate',
  'copyThreshold',
  'pageSize',
  'pageBytes',
  'poolSize',
  'partitions',
  'connectTimeoutMs',
];

/** Validates the adapter's own options; throws `InvalidArgumentError` naming the field. */
export function resolvePostgresOptions(options: unknown): ResolvedPostgresOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'expected an object with connectionString or pool');
  }
  const o = options as Record<string, unknown>;
  assertKnownOptions(o, ADAPTER_KEYS);
  assertConnection(o, 'options');
  const connection: PostgresConnection =
    o.pool === undefined
      ? { connectionString: o.connectionString as string }
      : { pool: o.pool as pg.Pool };
  const schema = o.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema, 'options.schema');
  if (o.migrate !== undefined && typeof o.migrate !== 'boolean') {
    throw new InvalidArgumentError('options.migrate', 'expected a boolean');
  }
  const partitions = o.partitions ?? 0;
  assertPartitions(partitions, 'options.partitions');
  return {
    connection,
    schema,
    migrate: o.migrate ?? true,
    copyThreshold: positiveInt(o.copyThreshold, 'options.copyThreshold', DEFAULT_COPY_THRESHOLD),
    pageSize: positiveInt(o.pageSize, 'options.pageSize', DEFAULT_PAGE_SIZE),
    pageBytes: positiveInt(o.pageBytes, 'options.pageBytes', DEFAULT_PAGE_BYTES),
    poolSize: positiveInt(o.poolSize, 'options.poolSize', DEFAULT_POOL_SIZE),
    partitions,
    connectTimeoutMs: resolveConnectTimeout(connection, o.connectTimeoutMs, 'options'),
  };
}

/**
 * The connect timeout in ms (0: none): `explicit` when given, else the connection string's
 * `connect_timeout` (seconds, as libpq: zero or negative waits forever), else the default.
 */
export function resolveConnectTimeout(
  connection: PostgresConnection,
  explicit: unknown,
  field: string,
): number {
  if (explicit !== undefined) {
    if (typeof explicit !== 'number' || !Number.isSafeInteger(explicit) || explicit < 0) {
      throw new InvalidArgumentError(
        `${field}.connectTimeoutMs`,
        'expected a non-negative integer (milliseconds, 0: no timeout)',
      );
    }
    return explicit;
  }
  if ('pool' in connection) return DEFAULT_CONNECT_TIMEOUT_MS; // unused: the caller's pool
  const seconds = urlConnectTimeout(connection.connectionString);
  if (seconds === undefined) return DEFAULT_CONNECT_TIMEOUT_MS;
  if (!/^\s*[+-]?\d+\s*$/.test(seconds) || !Number.isSafeInteger(Number(seconds) * 1000)) {
    throw new InvalidArgumentError(
      `${field}.connectionString`,
      'connect_timeout must be an integer number of seconds',
    );
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

function positiveInt(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(field, 'expected a positive integer');
  }
  return value;
}

/** Throws `InvalidArgumentError` unless `value` holds exactly one of connectionString or pool. */
export function assertConnection(value: unknown, field: string): void {
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
