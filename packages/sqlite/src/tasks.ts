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
  jsons: string[];
}

export interface WriteBatchResult {
  seqs: Float64Array;
  /** 1 where the id was already stored in the session. */
  duplicates: Uint8Array;
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
}

export interface PageResult {
  seqs: Float64Array;
  ids: string[];
  createdAtMs: Float64Array;
  jsons: string[];
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

export interface CloseTask {
  kind: 'close';
}

/** Opens the connection ahead of the first real task. */
export interface OpenTask {
  kind: 'open';
}

export type Task =
  | WriteBatchTask
  | WriteCheckpointTask
  | ReadPageTask
  | ReadCheckpointTask
  | CloseTask
  | OpenTask;

/** Driver errors cross the thread boundary as plain data: structured cloning drops `code`. */
export interface TaskFailure {
  failed: true;
  message: string;
  code?: string;
}
