import { HistoryError } from './history-error.js';

/** Raised instead of waiting when `backpressure: 'reject'` and the queue is full. */
export class BackpressureError extends HistoryError {
  constructor(queuedEvents: number, queuedBytes: number) {
    super(
      'HISTORY_BACKPRESSURE',
      `Write queue is full (${queuedEvents} events, ${queuedBytes} bytes pending); retry later`,
    );
    this.name = 'BackpressureError';
  }

  static override isInstance(error: unknown): error is BackpressureError {
    return HistoryError.hasCode(error, 'HISTORY_BACKPRESSURE');
  }
}
