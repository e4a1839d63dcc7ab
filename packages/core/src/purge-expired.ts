import { setImmediate as nextTurn } from 'node:timers/promises';
import { backendFailure } from './backend-failure.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import type { HistoryBackend } from './history-backend.js';
import type { PurgeResult } from './history-store.js';
import { describe } from './identifier.js';
import type { RetentionOptions } from './store-options.js';

/** Events removed per backend call: a short transaction or rewrite, so appends get through between. */
export const PURGE_CHUNK_EVENTS = 1000;

/** Validates `purgeExpired` options: the most events to remove (unbounded when not given). */
export function purgeLimitOf(options: unknown): number {
  if (options === undefined) return Number.POSITIVE_INFINITY;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', `expected an object, received ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'limit') throw new InvalidArgumentError(`options.${key}`, 'unknown option');
  }
  if (o.limit === undefined) return Number.POSITIVE_INFINITY;
  if (typeof o.limit !== 'number' || !Number.isSafeInteger(o.limit) || o.limit < 0) {
    throw new InvalidArgumentError('options.limit', 'expected a non-negative safe integer');
  }
  return o.limit;
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
