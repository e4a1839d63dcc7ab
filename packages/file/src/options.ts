import type { StoreOptions } from '@history/core';
import {
  DEFAULT_PAGE_BYTES,
  type OptionsSchema,
  optionRule,
  type ResolvedOptions,
  resolveAdapterOptions,
} from '@history/core/backend';

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
  /**
   * Opens the root as a follower: no lock, nothing ever written, writes reject. For a
   * process reading (and following) a root another process writes. The root must have
   * been opened read-write once (see README, "Read-only opens"). Default false.
   */
  readOnly?: boolean;
  /**
   * With `readOnly`, while a stream or feed follows: how often the store checks the feed
   * index (one `stat`) for the writer's commits, beside a file watch that usually reports
   * them first, and wakes its followers. Default 20 ms.
   */
  changeCheckMs?: number;
}

export type FileHistoryStoreOptions = FileAdapterOptions & StoreOptions;

/** Every default of the adapter's options, here and nowhere else (the README table states them). */
export const FILE_DEFAULTS = {
  durability: 'os',
  /**
   * Node raises the soft descriptor limit to the hard one at start-up on Linux
   * and macOS (usually tens of thousands or more), so thousands of active
   * sessions each keep their handle; if the process still runs out, the handle
   * cache shrinks instead of failing (see SessionHandles).
   */
  maxOpenFiles: 8192,
  /** About 60 to 100 MB of ids (each a Map entry and its string). */
  maxCachedIds: 1_000_000,
  pageBytes: DEFAULT_PAGE_BYTES,
  readOnly: false,
  changeCheckMs: 20,
} as const satisfies Partial<FileAdapterOptions>;

const FILE_SCHEMA = {
  root: optionRule.path('expected a non-empty directory path'),
  durability: optionRule.oneOf('os', 'fsync'),
  maxOpenFiles: optionRule.integer(1, 65_536),
  maxCachedIds: optionRule.integer(0),
  pageBytes: optionRule.integer(1),
  readOnly: optionRule.boolean,
  changeCheckMs: optionRule.integer(1, 60_000),
} satisfies OptionsSchema<FileAdapterOptions>;

export type ResolvedFileOptions = ResolvedOptions<typeof FILE_SCHEMA>;

/** Validates the adapter's own options; the common ones are left to `resolveStoreOptions`. */
export function resolveFileOptions(options: unknown): ResolvedFileOptions {
  return resolveAdapterOptions(options, FILE_SCHEMA, FILE_DEFAULTS);
}
