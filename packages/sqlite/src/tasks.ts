/**
 * Messages between the store and the SQLite threads. Batches and pages
 * travel as columns (typed arrays, one joined JSON string with lengths), not
 * one object per record: structured cloning is then a few large copies
 * instead of thousands of small ones.
 */

export interface WriteBatchTask {
  kind: 'writeBatch';
  sessionIds: string[];
  ids: string[];
  occurredAtMs: Float64Array;
  /** Every record's JSON, concatenated. */
  json: string;
  /** Length (UTF-16 units) of each record's JSON within `json`. */
  jsonLengths: Uint32Array;
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
  json: string;
  jsonLengths: Uint32Array;
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

export type Task =
  | WriteBatchTask
  | WriteCheckpointTask
  | ReadPageTask
  | ReadCheckpointTask
  | CloseTask;

/** Driver errors cross the thread boundary as plain data: structured cloning drops `code`. */
export interface TaskFailure {
  failed: true;
  message: string;
  code?: string;
}

/** Splits a joined JSON string back into one string per record. */
export function splitJoined(json: string, lengths: Uint32Array): string[] {
  const out = new Array<string>(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    out[i] = json.slice(at, at + lengths[i]!);
    at += lengths[i]!;
  }
  return out;
}
