import { HistoryError } from './history-error.js';

export class ClosedError extends HistoryError {
  constructor(operation: string) {
    super('HISTORY_CLOSED', `Cannot ${operation}: the history store is closed`);
    this.name = 'ClosedError';
  }

  static override isInstance(error: unknown): error is ClosedError {
    return HistoryError.hasCode(error, 'HISTORY_CLOSED');
  }
}
