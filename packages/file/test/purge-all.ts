import type { PurgeRequest } from '@history/core/backend';
import type { FileBackend } from '../src/file-backend.js';

/** Purge chunks of 1,000 straight on the backend (at a chosen `now`) until one says done; events removed. */
export async function purgeAll(
  backend: FileBackend,
  request: Omit<PurgeRequest, 'limit'>,
): Promise<number> {
  let total = 0;
  for (let done = false; !done; ) {
    const chunk = await backend.purgeExpired({ ...request, limit: 1000 });
    total += chunk.deletedEvents;
    done = chunk.done;
  }
  return total;
}
