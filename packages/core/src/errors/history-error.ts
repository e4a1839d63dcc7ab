const marker = Symbol.for('@history/core/error');

export type HistoryErrorCode =
  | 'HISTORY_INVALID_ENVELOPE'
  | 'HISTORY_ENVELOPE_TOO_LARGE'
  | 'HISTORY_INVALID_ARGUMENT'
  | 'HISTORY_CLOSED'
  | 'HISTORY_BACKPRESSURE'
  | 'HISTORY_STORAGE'
  | 'HISTORY_SCHEMA_VERSION'
  | 'HISTORY_LOCKED'
  | 'HISTORY_READ_ONLY'
  | 'HISTORY_CONFLICT';

/**
 * Base of every error the store raises. `isInstance` works across duplicate
 * copies of `@history/core` in node_modules, where `instanceof` does not.
 */
export class HistoryError extends Error {
  readonly [marker] = true;
  readonly code: HistoryErrorCode;

  constructor(code: HistoryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HistoryError';
    this.code = code;
  }

  static isInstance(error: unknown): error is HistoryError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[marker] === true
    );
  }

  /** True for a HistoryError of the given code, from any copy of the package. */
  static hasCode(error: unknown, code: HistoryErrorCode): boolean {
    return HistoryError.isInstance(error) && error.code === code;
  }
}
