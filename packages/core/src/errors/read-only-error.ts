import { HistoryError } from './history-error.js';

/** A write to a store opened read-only (a follower of storage another process writes). */
export class ReadOnlyError extends HistoryError {
  /** `operation`: what was refused, e.g. `append`. */
  constructor(
    readonly operation: string,
    message: string,
  ) {
    super('HISTORY_READ_ONLY', message);
    this.name = 'ReadOnlyError';
  }

  static override isInstance(error: unknown): error is ReadOnlyError {
    return HistoryError.hasCode(error, 'HISTORY_READ_ONLY');
  }
}
