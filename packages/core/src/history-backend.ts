import type { NormalizedRange } from './history-range.js';
import type { AppendResult } from './history-store.js';
import type { PreparedEnvelope } from './prepare-envelope.js';

/** A record as a backend returns it: the envelope still as JSON text. */
export interface StoredRecord {
  seq: number;
  sessionId: string;
  id: string;
  json: string;
  createdAt: string;
}

export interface StoredCheckpoint {
  sessionId: string;
  /** The checkpoint payload as JSON text. */
  json: string;
  createdAt: string;
  seq?: number;
}

/**
 * What an adapter implements. `createBackendStore` adds validation, the
 * batching writer, closed-state handling and JSON parsing on top, so every
 * adapter shares one behaviour for everything but storage.
 */
export interface HistoryBackend {
  /** Short name used in metrics, e.g. `sqlite`. */
  readonly name: string;
  /**
   * Commits one batch atomically (all or nothing) and returns one result per
   * record, in order. The writer guarantees no two records share
   * (sessionId, id); an id already stored in the session yields
   * `duplicate: true` with the stored seq.
   */
  writeBatch(records: readonly PreparedEnvelope[]): Promise<AppendResult[]>;
  /**
   * Pages of records of one session in range order, honouring every field of
   * `range` (`limit` included). Returning early from the iterator must
   * release any cursor, connection or file handle. Bound each page by bytes as
   * well as by count (`DEFAULT_PAGE_BYTES`), and read at most one page ahead.
   */
  readPages(sessionId: string, range: NormalizedRange): AsyncIterable<readonly StoredRecord[]>;
  /** Replaces the session's checkpoint atomically and durably. */
  writeCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
  readCheckpoint(sessionId: string): Promise<StoredCheckpoint | null>;
  /** Called once, after the writer drained: release everything. */
  close(): Promise<void>;
  /** Whether a `writeBatch` error is transient, so the batch may be retried. */
  isTransient?(error: unknown): boolean;
  /**
   * The one session a `writeBatch` error belongs to, when only that session
   * is damaged (for example its file is corrupt) and nothing of the batch was
   * written. Core then fails the appends touching that session and writes the
   * rest of the batch again: one broken session never fails healthy ones.
   */
  failedSession?(error: unknown): string | undefined;
}
