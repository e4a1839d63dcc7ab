import { HistoryError, type HistoryStore, InvalidArgumentError, StorageError } from '@history/core';
import { createBackendStore, resolveStoreOptions } from '@history/core/backend';
import { FeedIndex } from './feed-index.js';
import { FeedTail } from './feed-tail.js';
import { FileBackend } from './file-backend.js';
import { ensureDir } from './fs-sync.js';
import { checkLayout, type Layout, prepareLayout } from './layout.js';
import {
  type FileHistoryStoreOptions,
  type ResolvedFileOptions,
  resolveFileOptions,
} from './options.js';
import { ReadOnlyFileBackend } from './read-only-backend.js';
import { acquireRootLock } from './root-lock.js';

/**
 * Opens (creating when missing) a history store of JSONL files under
 * `options.root`. Takes the root's write lock for the store's lifetime: a
 * second store on the same root, in this process or another, fails with
 * `LockedError` until this one is closed. With `readOnly`, takes no lock and writes
 * nothing: a follower of a root another process writes (see `openReadOnlyBackend`).
 */
export async function createFileHistoryStore(
  options: FileHistoryStoreOptions,
): Promise<HistoryStore> {
  const fileOptions = resolveFileOptions(options);
  // Core validates its own keys and leaves the adapter's alone.
  const storeOptions = resolveStoreOptions(options);
  if (!fileOptions.readOnly) {
    return createBackendStore(await openFileBackend(fileOptions), storeOptions);
  }
  // Purging writes: only the root's writer may run it.
  if (storeOptions.retention !== undefined) {
    throw new InvalidArgumentError('options.retention', 'a readOnly store cannot purge');
  }
  return createBackendStore(await openReadOnlyBackend(fileOptions), storeOptions);
}

/**
 * The backend of a read-only store: checks the layout and reads the feed index, nothing
 * else. A root that is not a store of the current layout (never opened, or older) fails
 * with a `StorageError` asking for one read-write open, which would write.
 */
export async function openReadOnlyBackend(
  fileOptions: ResolvedFileOptions,
): Promise<ReadOnlyFileBackend> {
  const { root } = fileOptions;
  const feed = new FeedTail(root);
  try {
    const layout = await checkLayout(root);
    await feed.refresh();
    return new ReadOnlyFileBackend(fileOptions, layout, feed);
  } catch (error) {
    feed.close();
    if (HistoryError.isInstance(error)) throw error;
    throw new StorageError(`file: cannot open the store at ${root}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The backend under a store: creates the root and its layout, takes its lock. */
export async function openFileBackend(fileOptions: ResolvedFileOptions): Promise<FileBackend> {
  const durable = fileOptions.durability === 'fsync';
  try {
    await ensureDir(fileOptions.root, durable);
  } catch (error) {
    throw new StorageError(
      `file: cannot create the store directory ${fileOptions.root}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const lock = await acquireRootLock(fileOptions.root);
  let layout: Layout;
  let feed: FeedIndex;
  try {
    layout = await prepareLayout(fileOptions.root, durable);
    feed = await FeedIndex.open(fileOptions.root, durable);
  } catch (error) {
    await lock.release();
    if (HistoryError.isInstance(error)) throw error;
    throw new StorageError(
      `file: cannot prepare the store at ${fileOptions.root}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return new FileBackend(fileOptions, lock, layout, feed);
}
