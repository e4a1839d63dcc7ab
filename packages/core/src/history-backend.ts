import type { NormalizedRange } from './history-range.js';
import type { AppendResult, PurgeResult } from './history-store.js';
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

/** What a backend knows of one session (see `SessionInfo`). */
export interface StoredSession {
  sessionId: string;
  /** The last seq handed out in the session: never goes backwards, not even when a purge removed it. */
  lastSeq: number;
  /** Events stored now (expired ones not yet purged included). */
  eventCount: number;
  /** ISO-8601 commit time of the session's first append (since it was last deleted). */
  createdAt: string;
  /** ISO-8601 commit time of its latest append that stored an event. */
  updatedAt: string;
}

/**
 * A conditional append inside a batch: records `start` .. `start + count - 1`
 * (consecutive, one session, one caller) are written only if the session's
 * last seq equals `expectedSeq` when the backend reaches `start`, counting the
 * records of the same batch written before it. See `HistoryBackend.writeBatch`.
 */
export interface BatchCondition {
  start: number;
  count: number;
  expectedSeq: number;
}

/** A record not written because its condition failed: `actualSeq` is the session's last seq. */
export interface BatchConflict {
  conflict: true;
  id: string;
  sessionId: string;
  actualSeq: number;
}

export type WriteOutcome = AppendResult | BatchConflict;

/** One page of `listSessions`: sessions whose id starts with `prefix`, after `after`, in id order. */
export interface SessionPageRequest {
  /** Exclusive keyset cursor. */
  after?: string;
  prefix?: string;
  /** At least 1. */
  limit: number;
}

/** A record of the feed, with its position (see `HistoryBackend.readFeed`). */
export interface StoredFeedEntry extends StoredRecord {
  position: string;
}

/** One page of the feed: entries after `after` (from the start when absent), in commit order. */
export interface FeedPageRequest {
  /** Exclusive: a position this backend returned (checked by `isFeedPosition`). */
  after?: string;
  /** At least 1. */
  limit: number;
}

export interface FeedPage {
  /** In commit order, at most `limit`, bounded by bytes like a stream page. */
  entries: StoredFeedEntry[];
  /**
   * Where the next page starts, when further than the last entry's position: the backend
   * skipped rows it does not deliver (expired events). Absent: the last entry's position, or
   * `after` when there is none.
   */
  position?: string;
}

/** One chunk of a purge. */
export interface PurgeRequest {
  /** Epoch ms: events whose `occurredAt + ttlMs` is at or before it are expired. */
  now: number;
  /** Events to remove in this chunk, at most (at least 1): a short transaction's worth. */
  limit: number;
  /**
   * The caller's whole remaining budget (at least `limit`; `Infinity` when unbounded; `limit`
   * when absent). A
   * backend whose unit of work is larger than a chunk (the file store rewrites a whole
   * session) may remove up to this many in one call instead of redoing that unit per chunk.
   */
  maxEvents?: number;
  /** Also remove events whose `occurredAt` is more than this before `now`. */
  maxAgeMs?: number;
  /** Also remove a session's oldest events beyond its newest this many. */
  maxEventsPerSession?: number;
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
   * Commits one batch atomically (all or nothing) and returns one outcome per
   * record, in order. The writer guarantees no two records share
   * (sessionId, id); an id already stored in the session yields
   * `duplicate: true` with the stored seq.
   *
   * `conditions` (sorted by `start`, never overlapping) are checked in record
   * order, inside the batch's transaction: when every record of a condition is
   * already stored, they are duplicates as usual; otherwise, if the session's
   * last seq (0 for a session that does not exist, deleted ones included)
   * differs from `expectedSeq`, none of its records is written and each gets a
   * `BatchConflict`. The rest of the batch is written either way.
   */
  writeBatch(
    records: readonly PreparedEnvelope[],
    conditions?: readonly BatchCondition[],
  ): Promise<WriteOutcome[]>;
  /**
   * Pages of records of one session in range order, honouring every field of
   * `range` (`limit` included), and skipping records expired when the page is
   * read (`expiresAtMs <= Date.now()`). Returning early from the iterator must
   * release any cursor, connection or file handle. Bound each page by bytes as
   * well as by count (`DEFAULT_PAGE_BYTES`), and read at most one page ahead.
   */
  readPages(sessionId: string, range: NormalizedRange): AsyncIterable<readonly StoredRecord[]>;
  /**
   * One page of the feed: every session's stored events in commit order, skipping expired
   * ones. Resuming after an entry's position yields exactly the entries committed after it
   * (in that order), including those of transactions that took an earlier id or seq but
   * committed later. An empty page at the same position means nothing more is committed yet.
   */
  readFeed(request: FeedPageRequest): Promise<FeedPage>;
  /** Whether `position` has the form of a position this backend returns (no I/O). */
  isFeedPosition(position: string): boolean;
  /** One page of sessions, ordered by id in Unicode code point order (UTF-8 byte order). */
  listSessions(request: SessionPageRequest): Promise<StoredSession[]>;
  getSession(sessionId: string): Promise<StoredSession | null>;
  /**
   * Removes the session's events, checkpoint and any files durably, keeping only
   * its last seq, so that a later append continues after it. Core calls it once
   * every earlier append has settled and holds later ones until it resolves.
   */
  deleteSession(sessionId: string): Promise<{ deletedEvents: number }>;
  /**
   * Removes up to `limit` expired events (see `PurgeRequest`) in a short
   * transaction or atomic rewrite, concurrently with appends: a session's
   * `lastSeq` stays where it was. `done` is false while more may remain.
   */
  purgeExpired(request: PurgeRequest): Promise<PurgeResult>;
  /** Replaces the session's checkpoint atomically and durably. */
  writeCheckpoint(checkpoint: StoredCheckpoint): Promise<void>;
  readCheckpoint(sessionId: string): Promise<StoredCheckpoint | null>;
  /** Called once, after the writer drained: release everything. */
  close(): Promise<void>;
  /**
   * Optional: calls `onCommit` (soon, not necessarily at once) whenever another connection,
   * thread or process may have committed events, so that followers read again then instead
   * of only every `followPollMs`. Core starts it while some stream follows, and calls the
   * returned function to stop it. Without it, followers find such commits by polling.
   */
  watchCommits?(onCommit: () => void): () => void;
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
