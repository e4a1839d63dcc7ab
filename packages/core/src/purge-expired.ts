import { setImmediate as nextTurn } from 'node:timers/promises';
import { backendFailure } from './backend-failure.js';
import { nonNegativeInteger, optionsRecord } from './call-options.js';
import type { HistoryBackend } from './history-backend.js';
import type { PurgeResult } from './history-store.js';
import type { RetentionOptions } from './store-options.js';

/** Events removed per backend call: a short transaction or rewrite, so appends get through between. */
export const PURGE_CHUNK_EVENTS = 1000;

const KEYS = new Set(['limit']);

/** Validates `purgeExpired` options: the most events to remove (unbounded when not given). */
export function purgeLimitOf(options: unknown): number {
  const limit = optionsRecord(options, 'options', KEYS)?.limit;
  return nonNegativeInteger(limit, 'options.limit') ?? Number.POSITIVE_INFINITY;
}

/**
 * Removes expired events (and those `retention` retires) in chunks of at most
 * `PURGE_CHUNK_EVENTS`, letting the event loop turn between chunks; stops early, with
 * `done: false`, at `limit` or once `shouldStop()` (the store closing).
 */
export async function purgeExpired(
  backend: HistoryBackend,
  retention: RetentionOptions | undefined,
  limit: number,
  shouldStop: () => boolean,
): Promise<PurgeResult> {
  const result: PurgeResult = { deletedEvents: 0, sessions: 0, done: false };
  while (result.deletedEvents < limit && !shouldStop()) {
    let chunk: PurgeResult;
    try {
      chunk = await backend.purgeExpired({
        now: Date.now(),
        limit: Math.min(PURGE_CHUNK_EVENTS, limit - result.deletedEvents),
        maxEvents: limit - result.deletedEvents,
        ...(retention?.maxAgeMs === undefined ? {} : { maxAgeMs: retention.maxAgeMs }),
        ...(retention?.maxEventsPerSession === undefined
          ? {}
          : { maxEventsPerSession: retention.maxEventsPerSession }),
      });
    } catch (error) {
      throw backendFailure(backend, 'purgeExpired', error);
    }
    result.deletedEvents += chunk.deletedEvents;
    result.sessions += chunk.sessions;
    // A chunk that removed nothing has nothing left to remove, whatever it says.
    if (chunk.done || chunk.deletedEvents === 0) {
      result.done = true;
      break;
    }
    await nextTurn();
  }
  return result;
}
