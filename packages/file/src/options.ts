import {
  assertKnownOptions,
  DEFAULT_PAGE_BYTES,
  InvalidArgumentError,
  type StoreOptions,
} from '@history/core';

/** Options of `createFileHistoryStore`, besides the common `StoreOptions`. */
export interface FileAdapterOptions {
  /** Directory holding the store; created when missing. */
  root: string;
  /**
   * `'os'` (default): a batch resolves once written to the OS page cache; it
   * survives a process crash, not a power loss. `'fsync'`: each touched file
   * is `fdatasync`ed before the batch resolves, and new files' directories are
   * fsynced; survives power loss.
   */
  durability?: 'os' | 'fsync';
  /**
   * Most session files kept open for appending; beyond it the least recently
   * used handle is closed (the session's state is kept). Default 8192.
   */
  maxOpenFiles?: number;
  /**
   * Most event ids kept in memory, over all sessions, for idempotency without
   * re-reading files; beyond it the least recently used sessions' state is
   * dropped and rebuilt by one scan on their next append. Default 1,000,000.
   */
  maxCachedIds?: number;
  /**
   * Most envelope JSON (characters) in one page of a stream; a larger envelope is a page
   * alone. Default 4 MiB (`DEFAULT_PAGE_BYTES`).
   */
  pageBytes?: number;
}

export type FileHistoryStoreOptions = FileAdapterOptions & StoreOptions;

export interface ResolvedFileOptions {
  root: string;
  durability: 'os' | 'fsync';
  maxOpenFiles: number;
  maxCachedIds: number;
  pageBytes: number;
}

/**
 * Node raises the soft descriptor limit to the hard one at start-up on Linux
 * and macOS (usually tens of thousands or more), so thousands of active
 * sessions each keep their handle; if the process still runs out, the handle
 * cache shrinks instead of failing (see SessionHandles).
 */
export const DEFAULT_MAX_OPEN_FILES = 8192;
/** About 60 to 100 MB of ids (each a Map entry and its string). */
export const DEFAULT_MAX_CACHED_IDS = 1_000_000;

const ADAPTER_KEYS: readonly (keyof FileAdapterOptions)[] = [
  'root',
  'durability',
  'maxOpenFiles',
  'maxCachedIds',
  'pageBytes',
];

/** Validates the adapter's own options; throws `InvalidArgumentError` naming the field. */
export function resolveFileOptions(options: unknown): ResolvedFileOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'expected an object with a `root` directory');
  }
  assertKnownOptions(options, ADAPTER_KEYS);
  const { root, durability, maxOpenFiles, maxCachedIds, pageBytes } = options as Record<
    string,
    unknown
  >;
  if (typeof root !== 'string' || root.length === 0) {
    throw new InvalidArgumentError('options.root', 'expected a non-empty directory path');
  }
  if (root.includes('\0')) {
    throw new InvalidArgumentError('options.root', 'must not contain NUL characters');
  }
  if (durability !== undefined && durability !== 'os' && durability !== 'fsync') {
    throw new InvalidArgumentError('options.durability', "expected 'os' or 'fsync'");
  }
  if (
    maxOpenFiles !== undefined &&
    (typeof maxOpenFiles !== 'number' ||
      !Number.isSafeInteger(maxOpenFiles) ||
      maxOpenFiles < 1 ||
      maxOpenFiles > 65_536)
  ) {
    throw new InvalidArgumentError('options.maxOpenFiles', 'expected an integer from 1 to 65536');
  }
  if (
    maxCachedIds !== undefined &&
    (typeof maxCachedIds !== 'number' || !Number.isSafeInteger(maxCachedIds) || maxCachedIds < 0)
  ) {
    throw new InvalidArgumentError('options.maxCachedIds', 'expected a non-negative integer');
  }
  if (
    pageBytes !== undefined &&
    (typeof pageBytes !== 'number' || !Number.isSafeInteger(pageBytes) || pageBytes < 1)
  ) {
    throw new InvalidArgumentError('options.pageBytes', 'expected a positive integer');
  }
  return {
    root,
    durability: durability ?? 'os',
    maxOpenFiles: maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES,
    maxCachedIds: maxCachedIds ?? DEFAULT_MAX_CACHED_IDS,
    pageBytes: pageBytes ?? DEFAULT_PAGE_BYTES,
  };
}
