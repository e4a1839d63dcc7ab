import {
  assertKnownOptions,
  DEFAULT_PAGE_BYTES,
  InvalidArgumentError,
  type StoreOptions,
} from '@history/core';

export interface SqliteStoreOptions extends StoreOptions {
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
   * Default 128 (an agent's 100-event turn); 0 writes every batch on the writer thread.
   */
  inlineWriteRows?: number;
  /**
   * With `worker: true`: the first page of a stream (up to this many rows and 1 MiB) and
   * `getCheckpoint` are read on the main thread. Default 1000; 0 reads on reader threads only.
   */
  inlineReadRows?: number;
}

export interface SqliteConfig {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
  worker: boolean;
  readers: number;
  pageSize: number;
  pageBytes: number;
  inlineWriteRows: number;
  inlineReadRows: number;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `expected an integer from ${min} to ${max}`);
  }
  return value;
}

const ADAPTER_KEYS: readonly (keyof Omit<SqliteStoreOptions, keyof StoreOptions>)[] = [
  'filename',
  'durability',
  'busyTimeoutMs',
  'worker',
  'readers',
  'pageSize',
  'pageBytes',
  'inlineWriteRows',
  'inlineReadRows',
];

/** Validates the SQLite-specific options; the common ones are left to `resolveStoreOptions`. */
export function resolveSqliteConfig(options: unknown): SqliteConfig {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'expected an object with a filename');
  }
  const o = options as Record<string, unknown>;
  assertKnownOptions(o, ADAPTER_KEYS);
  if (typeof o.filename !== 'string' || o.filename.length === 0) {
    throw new InvalidArgumentError('options.filename', 'expected a non-empty string');
  }
  if (o.filename.includes('\0')) {
    throw new InvalidArgumentError('options.filename', 'must not contain NUL characters');
  }
  // Worker threads each open their own connection: a private in-memory
  // database would be a different, empty database on every thread.
  if (o.filename === ':memory:') {
    throw new InvalidArgumentError('options.filename', "':memory:' is not supported; use a file");
  }
  if (o.durability !== undefined && o.durability !== 'normal' && o.durability !== 'full') {
    throw new InvalidArgumentError('options.durability', "expected 'normal' or 'full'");
  }
  if (o.worker !== undefined && typeof o.worker !== 'boolean') {
    throw new InvalidArgumentError('options.worker', 'expected a boolean');
  }
  return {
    filename: o.filename,
    durability: o.durability ?? 'normal',
    busyTimeoutMs:
      o.busyTimeoutMs === undefined
        ? 5000
        : integer(o.busyTimeoutMs, 'options.busyTimeoutMs', 0, 2 ** 31 - 1),
    worker: o.worker ?? true,
    readers: o.readers === undefined ? 2 : integer(o.readers, 'options.readers', 1, 64),
    pageSize: o.pageSize === undefined ? 1000 : integer(o.pageSize, 'options.pageSize', 1, 100_000),
    pageBytes:
      o.pageBytes === undefined
        ? DEFAULT_PAGE_BYTES
        : integer(o.pageBytes, 'options.pageBytes', 1, 2 ** 31 - 1),
    inlineWriteRows:
      o.inlineWriteRows === undefined
        ? 128
        : integer(o.inlineWriteRows, 'options.inlineWriteRows', 0, 100_000),
    inlineReadRows:
      o.inlineReadRows === undefined
        ? 1000
        : integer(o.inlineReadRows, 'options.inlineReadRows', 0, 100_000),
  };
}
