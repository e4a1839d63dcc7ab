/**
 * What an adapter's verify function (`verifyFileStore`, `verifySqliteStore`,
 * `verifyPostgresStore`) reports: it inspects a store without opening it for writing, so it
 * never repairs what it reports, and modifies nothing.
 */
export type IntegrityProblemKind =
  /** A record cut short (a crash leftover the next writable open would cut). */
  | 'torn-line'
  /** A stored envelope that does not parse, or parses but is not a valid envelope. */
  | 'invalid-json'
  /** Seqs not strictly increasing in storage order within a session. */
  | 'seq-order'
  /** The same seq, or the same event id, stored twice in one session. */
  | 'duplicate'
  /** Seqs missing from a session that the store's own records do not account for. */
  | 'seq-gap'
  /** An index entry missing, extra, or pointing at the wrong record (file store's indexes, feed index). */
  | 'index-mismatch'
  /** A session summary (last seq, event count, ...) disagreeing with the stored events. */
  | 'metadata-mismatch';

export interface IntegrityProblem {
  kind: IntegrityProblemKind;
  sessionId?: string;
  seq?: number;
  /** Where: a file path and byte offset or line number, or a table and key. */
  location: string;
  /** One line, human readable. */
  message: string;
}

export interface IntegrityReport {
  /** Sessions checked. */
  sessions: number;
  /** Events checked. */
  events: number;
  /** At most `maxProblems` of them; empty when the store is sound. */
  problems: IntegrityProblem[];
}

export interface VerifyOptions {
  /** Called with the events checked so far, at most every ~10,000 events, and once at the end. */
  onProgress?: (checkedEvents: number) => void;
  /** Aborting rejects the verification with the signal's reason. */
  signal?: AbortSignal;
  /** Stop collecting after this many problems (default 1000); the count goes on. */
  maxProblems?: number;
}
