import { HistoryError } from './history-error.js';

/** A public entry point was called with a malformed argument; `field` names it. */
export class InvalidArgumentError extends HistoryError {
  readonly field: string;

  constructor(field: string, message: string) {
    super('HISTORY_INVALID_ARGUMENT', `Invalid argument: ${field}: ${message}`);
    this.name = 'InvalidArgumentError';
    this.field = field;
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return HistoryError.hasCode(error, 'HISTORY_INVALID_ARGUMENT');
  }
}
