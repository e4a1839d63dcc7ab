import { HistoryError } from './history-error.js';

/** An envelope failed validation; `field` names the offending path, e.g. `occurredAt` or `envelopes[3].id`. */
export class InvalidEnvelopeError extends HistoryError {
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('HISTORY_INVALID_ENVELOPE', `Invalid envelope: ${field}: ${message}`, options);
    this.name = 'InvalidEnvelopeError';
    this.field = field;
  }

  static override isInstance(error: unknown): error is InvalidEnvelopeError {
    return HistoryError.hasCode(error, 'HISTORY_INVALID_ENVELOPE');
  }
}
