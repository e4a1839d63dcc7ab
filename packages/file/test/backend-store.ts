import type { HistoryStore } from '@history/core';
import { createBackendStore, resolveStoreOptions } from '@history/core/backend';
import type { FileBackend } from '../src/file-backend.js';
import { resolveFileOptions } from '../src/options.js';
import { openFileBackend } from '../src/store.js';
import { tempRoot } from './temp-root.js';

/** What a test file undoes after each test, last to first (a root outlives its stores). */
export type Cleanups = Array<() => Promise<void>>;

/**
 * A file backend on `root` (a fresh temp root when not given) with `options`, and a store on
 * it with the same options (each side reads its own); both closed, and a fresh root removed,
 * by `cleanups`.
 */
export async function openBackendStore(
  cleanups: Cleanups,
  options: Record<string, unknown> = {},
  root?: string,
): Promise<{ store: HistoryStore; backend: FileBackend; root: string }> {
  let path = root;
  if (path === undefined) {
    const made = await tempRoot();
    cleanups.push(made.remove);
    path = made.path;
  }
  const all = { ...options, root: path };
  const backend = await openFileBackend(resolveFileOptions(all));
  const store = createBackendStore(backend, resolveStoreOptions(all));
  cleanups.push(() => store.close());
  return { store, backend, root: path };
}
