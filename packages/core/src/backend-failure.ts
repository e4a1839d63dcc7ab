import { HistoryError } from './errors/history-error.js';
import { StorageError } from './errors/storage-error.js';
import type { HistoryBackend } from './history-backend.js';

/** What the store was doing when its backend failed. */
export type BackendOperation =
  | 'append'
  | 'stream'
  | 'feed'
  | 'checkpoint'
  | 'getCheckpoint'
  | 'listSessions'
  | 'getSession'
  | 'deleteSession'
  | 'purgeExpired'
  | 'close';

/**
 * The one place a backend's failure becomes the caller's error. A `HistoryError`
 * the backend raised on purpose (corruption it found, a lost lock, a stream cut
 * off by `close()`) passes unchanged; anything else, the driver's own error, is
 * wrapped once in a `StorageError` naming the backend and the operation, with the
 * driver's error as `cause` and `transient` as the backend classifies it.
 */
export function backendFailure(
  backend: Pick<HistoryBackend, 'name' | 'isTransient'>,
  operation: BackendOperation,
  error: unknown,
): HistoryError {
  if (HistoryError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StorageError(`${backend.name}: ${operation} failed: ${reason}`, {
    cause: error,
    transient: isTransient(backend, error),
    backend: backend.name,
    operation,
  });
}

/**
 * Whether retrying may succeed: a `StorageError` the backend marked transient, or a
 * driver error its `isTransient` recognises. A classifier that throws counts as no.
 */
export function isTransient(backend: Pick<HistoryBackend, 'isTransient'>, error: unknown): boolean {
  if (StorageError.isInstance(error)) return error.transient;
  try {
    return backend.isTransient?.(error) === true;
  } catch {
    return false;
  }
}
