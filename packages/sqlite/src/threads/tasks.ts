/**
 * Messages between the store and the SQLite threads. Batches and pages
 * travel as columns (arrays of strings, typed arrays of numbers), not one
 * object per record: a 1,000-record round trip to a worker costs about
 * 0.2-0.9 ms as columns against 1.3-1.9 ms as objects (scripts/measure-transfer.mjs).
 */

export interface WriteBatchTask {
  kind: 'writeBatch';
  sessionIds: string[];
  ids: string[];
  occurredAtMs: Float64Array;
  /** `occurredAtMs + ttlMs`, NaN for an event that never expires. */
  expiresAtMs: Float64Array;
  jsons: string[];
  /** Conditional appends as (start, count, expectedSeq) triples, sorted by start. */
  conditions?: Float64Array;
}

export interface WriteBatchResult {
  /** The stored seq; for a conflict, the session's actual last seq. */
  seqs: Float64Array;
  /** 1 where the id was already stored in the session. */
  duplicates: Uint8Array;
  /** 1 where the record's condition failed and it was not written. */
  conflicts: Uint8Array;
}

export interface WriteCheckpointTask {
  kind: 'writeCheckpoint';
  sessionId: string;
  json: string;
  createdAt: string;
  seq: number | null;
}

export interface ReadPageTask {
  kind: 'readPage';
  sessionId: string;
  backward: boolean;
  after?: number;
  fromMs?: number;
  toMs?: number;
  limit: number;
  /**
   * Most JSON (characters) in the page: it ends before the row that would take it past
   * this, unless that row is its first.
   */
  maxBytes: number;
}

export interface PageResult {
  seqs: Float64Array;
  ids: string[];
  createdAtMs: Float64Array;
  jsons: string[];
  /** Whether rows may follow this page: it was cut by `limit` or `maxBytes` with rows left. */
  more: boolean;
}

/** A page of the feed: events after a rowid, in rowid (commit) order. */
export interface ReadFeedTask {
  kind: 'readFeed';
  /** Exclusive; 0 from the start. */
  after: number;
  limit: number;
  /** Most JSON (characters) in the page, as `ReadPageTask.maxBytes`. */
  maxBytes: number;
}

/** A feed page as columns; each entry's session is `sessions[sessionOf[i]]`. */
export interface FeedPageResult {
  rowids: Float64Array;
  sessionOf: Uint32Array;
  /** The page's distinct session names. */
  sessions: string[];
  seqs: Float64Array;
  ids: string[];
  createdAtMs: Float64Array;
  jsons: string[];
  /** The last rowid looked at, when rows it skipped (expired) follow the last entry. */
  skippedTo?: number;
  /** Whether the page stopped at its limit or byte budget: more rows may follow at once. */
  full: boolean;
}

export interface ReadCheckpointTask {
  kind: 'readCheckpoint';
  sessionId: string;
}

export interface CheckpointRow {
  json: string;
  createdAt: string;
  seq: number | null;
}

export interface GetSessionTask {
  kind: 'getSession';
  sessionId: string;
}

export interface ListSessionsTask {
  kind: 'listSessions';
  after?: string;
  prefix?: string;
  limit: number;
}

/** A session as the database describes it; times are epoch ms. */
export interface SessionRow {
  sessionId: string;
  lastSeq: number;
  eventCount: number;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface DeleteSessionTask {
  kind: 'deleteSession';
  sessionId: string;
}

/** Chooses a purge chunk's victims, in a read transaction (it never holds the write lock). */
export interface PurgeChooseTask {
  kind: 'purgeChoose';
  now: number;
  limit: number;
  maxAgeMs?: number;
  maxEventsPerSession?: number;
}

/**
 * Events a purge chunk chose, as columns, grouped by session; within a session those
 * expired or too old first, then its excess (`excess` 1), each group in seq order.
 */
export interface PurgeVictims {
  rowids: Float64Array;
  sids: Float64Array;
  seqs: Float64Array;
  idHashes: Float64Array;
  excess: Uint8Array;
  /** `expiries` rows to delete once their events are gone, in key order (with `expiryPos`). */
  expiryAt: Float64Array;
  expiryPos: Float64Array;
}

export interface PurgeChoice {
  victims: PurgeVictims;
  /** Nothing more to remove once these are: the choice is below its limit after a whole pass. */
  done: boolean;
}

/** Removes chosen victims from `from` on, in one short write transaction. */
export interface PurgeRemoveTask {
  kind: 'purgeRemove';
  victims: PurgeVictims;
  from: number;
  maxEventsPerSession?: number;
  /** How long the slice may spend deleting (see `PURGE_SLICE_BUDGET_MS`). */
  budgetMs: number;
}

export interface PurgeRemoveResult {
  deletedEvents: number;
  /** Sessions that lost events. */
  sids: number[];
  /** The first victim not looked at yet: the next slice starts there (the count when none is left). */
  next: number;
}

export interface CloseTask {
  kind: 'close';
}

/**
 * Runs a read, after which a WAL-mode connection keeps a shared lock on the
 * database file. Sent to the writer thread before the main thread's connection
 * closes: a connection closing while no other holds that lock checkpoints the
 * whole WAL, which must not happen on the event loop.
 */
export interface HoldLockTask {
  kind: 'holdLock';
}

/** A PASSIVE WAL checkpoint on the writer thread, while other connections go on committing. */
export interface CheckpointWalTask {
  kind: 'checkpointWal';
}

/** `PRAGMA data_version` of the connection: it changes when another connection commits. */
export interface DataVersionTask {
  kind: 'dataVersion';
}

/** Opens the connection ahead of the first real task. */
export interface OpenTask {
  kind: 'open';
}

export type Task =
  | WriteBatchTask
  | WriteCheckpointTask
  | ReadPageTask
  | ReadFeedTask
  | ReadCheckpointTask
  | CloseTask
  | HoldLockTask
  | CheckpointWalTask
  | OpenTask
  | GetSessionTask
  | ListSessionsTask
  | DeleteSessionTask
  | PurgeChooseTask
  | PurgeRemoveTask
  | DataVersionTask;

/** What each kind of task returns when it succeeds. */
export interface TaskResults {
  writeBatch: WriteBatchResult;
  writeCheckpoint: null;
  readPage: PageResult;
  readFeed: FeedPageResult;
  readCheckpoint: CheckpointRow | null;
  close: null;
  holdLock: null;
  checkpointWal: null;
  open: null;
  getSession: SessionRow | null;
  listSessions: SessionRow[];
  deleteSession: number;
  purgeChoose: PurgeChoice;
  purgeRemove: PurgeRemoveResult;
  dataVersion: number;
}

/** The result of `task`, or its failure. */
export type TaskOutcome<T extends Task> = TaskResults[T['kind']] | TaskFailure;

/** Driver errors cross the thread boundary as plain data: structured cloning drops `code`. */
export interface TaskFailure {
  failed: true;
  message: string;
  code?: string;
}
