import { HistoryError } from './history-error.js';

export interface StorageErrorOptions {
  cause?: unknown;
  transient?: boolean;
  /** The backend that failed, e.g. `sqlite`. */
  backend?: string;
  /** What the store was doing: `append`, `stream`, `checkpoint`, `getCheckpoint`, `close`. */
  operation?: string;
}

/**
 * The backend failed; `cause` holds the driver's error. `transient` errors are
 * safe to retry. Core wraps every backend failure in one, once, naming the
 * `backend` and the `operation`.
 */
export class StorageError extends HistoryError {
  readonly transient: boolean;
  readonly backend: string | undefined;
  readonly operation: string | undefined;

  constructor(message: string, options: StorageErrorOptions = {}) {
    super('HISTORY_STORAGE', message, { cause: options.cause });
    this.name = 'StorageError';
    this.transient = options.transient ?? false;
    this.backend = options.backend;
    this.operation = options.operation;
  }

  static override isInstance(error: unknown): error is StorageError {
    return HistoryError.hasCode(error, 'HISTORY_STORAGE');
  }
}
