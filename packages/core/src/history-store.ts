import type { Envelope } from './envelope.js';

/** A stored envelope with the position the store gave it. */
export interface HistoryRecord {
  id: string;
  sessionId: string;
  /** Strictly increasing within a session, in append order. */
  seq: number;
  envelope: Envelope;
  /** ISO-8601 time the record was committed. */
  createdAt: string;
}

export interface HistoryRange {
  /** Inclusive lower bound on `occurredAt`, compared as an instant. */
  from?: string;
  /** Inclusive upper bound on `occurredAt`, compared as an instant. */
  to?: string;
  /** Exclusive `seq` cursor: forward yields `seq > after`, backward `seq < after`. */
  after?: number;
  /** Maximum number of records to yield; `0` yields nothing. */
  limit?: number;
  direction?: 'forward' | 'backward';
}

export interface Checkpoint {
  sessionId: string;
  payload: unknown;
  createdAt: string;
  /** The last `seq` the checkpoint covers, when given. */
  seq?: number;
}

export interface CheckpointOptions {
  seq?: number;
}

export interface AppendResult {
  id: string;
  sessionId: string;
  seq: number;
  /** True when an envelope with this id was already stored in the session: nothing new was written. */
  duplicate: boolean;
}

export interface HistoryStore {
  /** Resolves once the envelope's batch is committed. */
  append(envelope: Envelope): Promise<AppendResult>;
  /** Validates every envelope first; nothing is queued if one is invalid. Atomic when it fits in one batch. */
  appendMany(envelopes: readonly Envelope[]): Promise<AppendResult[]>;
  /** Lazy, paged, in `seq` order; leaving the loop early releases the underlying resources. */
  stream(sessionId: string, range?: HistoryRange): AsyncIterable<HistoryRecord>;
  /** Replaces the session's checkpoint atomically. */
  checkpoint(sessionId: string, payload: unknown, opts?: CheckpointOptions): Promise<void>;
  getCheckpoint(sessionId: string): Promise<Checkpoint | null>;
  /** Resolves once every append made before the call has settled. */
  flush(): Promise<void>;
  /** Flushes, then releases everything. Idempotent. */
  close(): Promise<void>;
}
