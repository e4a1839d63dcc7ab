import { type OpenedStore, type OpenStoreOptions, openStore } from './open-store.js';
import type { StoreLocation } from './store-url.js';

/**
 * Opens a store, runs `work` on it and closes it. A failure of `work` is the one reported
 * (a close failing after it is not allowed to hide it); otherwise a failed close is.
 */
export async function withStore<T>(
  location: StoreLocation,
  options: OpenStoreOptions,
  work: (opened: OpenedStore) => Promise<T>,
): Promise<T> {
  const opened = await openStore(location, options);
  let result: T;
  try {
    result = await work(opened);
  } catch (error) {
    await opened.close().catch(() => {});
    throw error;
  }
  await opened.close();
  return result;
}
