import { InvalidArgumentError, type StoreOptions } from '@history/core';
import {
  DEFAULT_PAGE_BYTES,
  type OptionRule,
  type OptionsSchema,
  optionRule,
  type ResolvedOptions,
  resolveAdapterOptions,
} from '@history/core/backend';

/** Options of `createSqliteHistoryStore`, besides the common `StoreOptions`. */
export interface SqliteAdapterOptions {
  /** Database file path. Created (with its directory's permission) if missing. */
  filename: string;
  /** `'normal'` (default): WAL + synchronous=NORMAL, durable across process crashes; `'full'` also survives power loss. */
  durability?: 'normal' | 'full';
  /** How long a connection waits for another process's lock before `SQLITE_BUSY`. Default 5000. */
  busyTimeoutMs?: number;
  /** Run SQLite on worker threads (default true); `false` runs it inline on the calling thread. */
  worker?: boolean;
  /** Reader threads serving `stream`/`getCheckpoint` when `worker` is true. Default 2. */
  readers?: number;
  /** Rows fetched per page when streaming. Default 1000. */
  pageSize?: number;
  /**
   * Most envelope JSON (characters) in one page of a stream; a larger envelope is a page
   * alone. Default 4 MiB (`DEFAULT_PAGE_BYTES`).
   */
  pageBytes?: number;
  /**
   * With `worker: true`: batches of up to this many records (and 256 KiB of JSON) are
   * written on the main thread's own connection, skipping the worker round trip.
   * Default 512 (the batches of a few hundred agents each awaiting one append, or an agent's
   * 100-event turn); 0 writes every batch on the writer thread.
   */
  inlineWriteRows?: number;
  /**
   * With `worker: true`: the first page of a stream (up to this many rows and 1 MiB) and
   * `getCheckpoint` are read on the main thread. Default 1000; 0 reads on reader threads only.
   */
  inlineReadRows?: number;
  /**
   * While a stream follows a session: how often the store checks (`PRAGMA data_version`, one
   * cheap call on the main thread) whether another connection or process committed, and if
   * so wakes its followers. Default 20 ms.
   */
  changeCheckMs?: number;
}

export interface SqliteStoreOptions extends SqliteAdapterOptions, StoreOptions {}

/** Every default of the adapter's options, here and nowhere else (the README table states them). */
export const SQLITE_DEFAULTS = {
  durability: 'normal',
  busyTimeoutMs: 5000,
  worker: true,
  readers: 2,
  pageSize: 1000,
  pageBytes: DEFAULT_PAGE_BYTES,
  inlineWriteRows: 512,
  inlineReadRows: 1000,
  changeCheckMs: 20,
} as const satisfies Partial<SqliteAdapterOptions>;

const path = optionRule.path();
/** A database file path (`':memory:'` refused). */
export const filenameRule: OptionRule<string> = (value, field) => {
  const name = path(value, field);
  // Worker threads each open their own connection: a private in-memory
  // database would be a different, empty database on every thread.
  if (name === ':memory:') {
    throw new InvalidArgumentError(field, "':memory:' is not supported; use a file");
  }
  return name;
};

const SQLITE_SCHEMA = {
  filename: filenameRule,
  durability: optionRule.oneOf('normal', 'full'),
  busyTimeoutMs: optionRule.integer(0, 2 ** 31 - 1),
  worker: optionRule.boolean,
  readers: optionRule.integer(1, 64),
  pageSize: optionRule.integer(1, 100_000),
  pageBytes: optionRule.integer(1, 2 ** 31 - 1),
  inlineWriteRows: optionRule.integer(0, 100_000),
  inlineReadRows: optionRule.integer(0, 100_000),
  changeCheckMs: optionRule.integer(1, 60_000),
} satisfies OptionsSchema<SqliteAdapterOptions>;

export type SqliteConfig = ResolvedOptions<typeof SQLITE_SCHEMA>;

/** Validates the SQLite-specific options; the common ones are left to `resolveStoreOptions`. */
export function resolveSqliteConfig(options: unknown): SqliteConfig {
  return resolveAdapterOptions(options, SQLITE_SCHEMA, SQLITE_DEFAULTS);
}
