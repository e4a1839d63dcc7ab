import { StorageError } from '@history/core';

/**
 * One session's files could not be loaded or opened for an append (a corrupt
 * line, a directory where the file should be). Nothing of the batch was
 * written; core fails that session's appends and writes the others again.
 */
export class SessionFileError extends StorageError {
  constructor(
    readonly sessionId: string,
    cause: unknown,
  ) {
    super(
      `file: session ${JSON.stringify(sessionId)} cannot be appended to: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}
