import { InvalidArgumentError, type StoreOptions } from '@history/core';

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
  /** Most session files kept open for appending (least recently used are closed). Default 128. */
  maxOpenFiles?: number;
}

export type FileHistoryStoreOptions = FileAdapterOptions & StoreOptions;

export interface ResolvedFileOptions {
  root: string;
  durability: 'os' | 'fsync';
  maxOpenFiles: number;
}

export const DEFAULT_MAX_OPEN_FILES = 128;

/** Validates the adapter's own options; throws `InvalidArgumentError` naming the field. */
export function resolveFileOptions(options: unknown): ResolvedFileOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', 'expected an object with a `root` directory');
  }
  const { root, durability, maxOpenFiles } = options as Record<string, unknown>;
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
  return {
    root,
    durability: durability ?? 'os',
    maxOpenFiles: maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES,
  };
}
