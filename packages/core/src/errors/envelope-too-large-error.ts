import { HistoryError } from './history-error.js';

/** The serialised envelope (or checkpoint payload) exceeds `maxEnvelopeBytes`. */
export class EnvelopeTooLargeError extends HistoryError {
  readonly field: string;
  readonly bytes: number;
  readonly limit: number;

  constructor(field: string, bytes: number, limit: number) {
    super(
      'HISTORY_ENVELOPE_TOO_LARGE',
      `${field} is ${bytes} bytes as JSON; the limit is ${limit}`,
    );
    this.name = 'EnvelopeTooLargeError';
    this.field = field;
    this.bytes = bytes;
    this.limit = limit;
  }

  static override isInstance(error: unknown): error is EnvelopeTooLargeError {
    return HistoryError.hasCode(error, 'HISTORY_ENVELOPE_TOO_LARGE');
  }
}
