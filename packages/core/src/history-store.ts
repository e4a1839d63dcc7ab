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

/** What `stream` reads (a `HistoryRange`) and how it runs. */
export interface StreamOptions extends HistoryRange {
  /**
   * After the events already stored, keep yielding events as they are committed, in seq
   * order, with no gap and no repeat, until `signal` aborts (the loop then ends) or the
   * store closes (`HISTORY_CLOSED`). Forward only. Commits by this store wake the stream at
   * once; those of other stores and processes are found by reading again every
   * `followPollMs` (a store option).
   */
  follow?: boolean;
  /** Aborting ends the stream: the loop ends cleanly, without an error. */
  signal?: AbortSignal;
}

/** One event of the feed: the record and the position to resume after it. */
export interface FeedEntry {
  /**
   * Opaque cursor: `feed({ after: position })` yields exactly the events committed after
   * this one. Only meaningful to the store (the storage) that returned it.
   */
  position: string;
  record: HistoryRecord;
}

/** What `feed` reads and how it runs. */
export interface FeedOptions {
  /** Exclusive cursor: a `position` this store returned. Absent: from the first stored event. */
  after?: string;
  /** Maximum number of entries to yield; `0` yields nothing. */
  limit?: number;
  /**
   * After the events already committed, keep yielding events as they commit, until `signal`
   * aborts (the loop then ends) or the store closes (`HISTORY_CLOSED`).
   */
  follow?: boolean;
  /** Aborting ends the feed: the loop ends cleanly, without an error. */
  signal?: AbortSignal;
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

/** Options of one `append` or `appendMany` call. */
export interface AppendOptions {
  /**
   * Commit only if the session's last seq is this when the batch commits (`0`: the session
   * must not exist); otherwise reject with `ConflictError` and write nothing. A retry of a
   * conditional append that already succeeded resolves with `duplicate: true`. A
   * conditional `appendMany` must be of one session and fit in one batch.
   */
  expectedSeq?: number;
}

/** One session, as `listSessions` and `getSession` describe it. */
export interface SessionInfo {
  sessionId: string;
  /**
   * The last seq handed out in the session. It never goes backwards: purges keep it, and a
   * session deleted and appended to again continues after it.
   */
  lastSeq: number;
  /** Events stored now; expired events count until they are purged. */
  eventCount: number;
  /** ISO-8601 commit time of the session's first append (since it was last deleted). */
  createdAt: string;
  /** ISO-8601 commit time of its latest append that stored an event. */
  updatedAt: string;
}

export interface ListSessionsOptions {
  /** Exclusive keyset cursor: sessions whose id sorts after it. */
  after?: string;
  /** Only sessions whose id starts with it. */
  prefix?: string;
  /** Most sessions to yield; `0` yields nothing. */
  limit?: number;
}

export interface DeleteSessionResult {
  /** Events erased. */
  deletedEvents: number;
}

export interface PurgeOptions {
  /** Most events to remove in this call; the rest stays for a later one. */
  limit?: number;
}

export interface PurgeResult {
  /** Events removed. */
  deletedEvents: number;
  /** Sessions that lost at least one event. */
  sessions: number;
  /** False when `limit` stopped the purge with expired events left. */
  done: boolean;
}

export interface HistoryStore {
  /** Resolves once the envelope's batch is committed. */
  append(envelope: Envelope, options?: AppendOptions): Promise<AppendResult>;
  /** Validates every envelope first; nothing is queued if one is invalid. Atomic when it fits in one batch. */
  appendMany(envelopes: readonly Envelope[], options?: AppendOptions): Promise<AppendResult[]>;
  /**
   * Lazy, paged, in `seq` order; leaving the loop early releases the underlying resources.
   * With `follow: true`, goes on with events as they are committed (see `StreamOptions`).
   */
  stream(sessionId: string, options?: StreamOptions): AsyncIterable<HistoryRecord>;
  /**
   * Every stored event of every session, in commit order across sessions, lazily, a page at
   * a time; each session's events in seq order. Expired events and erased sessions are not
   * yielded. Resume with `after` set to the last `position` handled (store it with
   * `checkpoint`, under a consumer name of your own, to survive restarts).
   */
  feed(options?: FeedOptions): AsyncIterable<FeedEntry>;
  /** Replaces the session's checkpoint atomically. */
  checkpoint(sessionId: string, payload: unknown, opts?: CheckpointOptions): Promise<void>;
  getCheckpoint(sessionId: string): Promise<Checkpoint | null>;
  /**
   * Sessions in id order (Unicode code points), lazily, a page at a time. Stable while
   * sessions are appended to and deleted: a session that exists throughout is yielded
   * exactly once.
   */
  listSessions(options?: ListSessionsOptions): AsyncIterable<SessionInfo>;
  getSession(sessionId: string): Promise<SessionInfo | null>;
  /**
   * Erases the session's events and checkpoint durably. Appends made before the call are
   * erased with it; appends made after it start the session afresh, with seqs continuing
   * after its last one.
   */
  deleteSession(sessionId: string): Promise<DeleteSessionResult>;
  /**
   * Removes expired events physically (`ttlMs`, and the store's `retention` rules), in
   * short chunks that let appends through between them.
   */
  purgeExpired(options?: PurgeOptions): Promise<PurgeResult>;
  /** Resolves once every append made before the call has settled. */
  flush(): Promise<void>;
  /** Flushes, then releases everything. Idempotent. */
  close(): Promise<void>;
}
