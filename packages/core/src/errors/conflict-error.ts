import { HistoryError } from './history-error.js';

/** A conditional append found the session at another seq than `expectedSeq`: nothing was written. */
export class ConflictError extends HistoryError {
  readonly sessionId: string;
  readonly expectedSeq: number;
  /** The session's last seq when the append was refused (0: the session does not exist). */
  readonly actualSeq: number;

  constructor(sessionId: string, expectedSeq: number, actualSeq: number) {
    super(
      'HISTORY_CONFLICT',
      `Session ${JSON.stringify(sessionId)} is at seq ${actualSeq}, not the expected ${expectedSeq}: nothing was appended`,
    );
    this.name = 'ConflictError';
    this.sessionId = sessionId;
    this.expectedSeq = expectedSeq;
    this.actualSeq = actualSeq;
  }

  static override isInstance(error: unknown): error is ConflictError {
    return HistoryError.hasCode(error, 'HISTORY_CONFLICT');
  }
}
