import { HistoryError } from './history-error.js';

/** The database was written by a newer schema version than this package knows. */
export class SchemaVersionError extends HistoryError {
  readonly found: number;
  readonly supported: number;

  constructor(found: number, supported: number) {
    super(
      'HISTORY_SCHEMA_VERSION',
      `Schema version ${found} is newer than this package supports (${supported}); upgrade the package`,
    );
    this.name = 'SchemaVersionError';
    this.found = found;
    this.supported = supported;
  }

  static override isInstance(error: unknown): error is SchemaVersionError {
    return HistoryError.hasCode(error, 'HISTORY_SCHEMA_VERSION');
  }
}
