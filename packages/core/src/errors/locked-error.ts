import { HistoryError } from './history-error.js';

/** Another process holds the write lock on this storage. */
export class LockedError extends HistoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HISTORY_LOCKED', message, options);
    this.name = 'LockedError';
  }

  static override isInstance(error: unknown): error is LockedError {
    return HistoryError.hasCode(error, 'HISTORY_LOCKED');
  }
}
