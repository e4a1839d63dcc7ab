import { HistoryError } from './history-error.js';

/** The backend failed; `cause` holds the driver's error. `transient` errors are safe to retry. */
export class StorageError extends HistoryError {
  readonly transient: boolean;

  constructor(message: string, options: { cause?: unknown; transient?: boolean } = {}) {
    super('HISTORY_STORAGE', message, { cause: options.cause });
    this.name = 'StorageError';
    this.transient = options.transient ?? false;
  }

  static override isInstance(error: unknown): error is StorageError {
    return HistoryError.hasCode(error, 'HISTORY_STORAGE');
  }
}
