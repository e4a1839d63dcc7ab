import type { Checkpoint, Envelope, HistoryRecord } from '@history/core';

/**
 * The previous SQL stores' (SQLite and PostgreSQL) rows: an event as
 * `(id, session_id, seq, occurred_at, envelope, created_at)`, all text but the
 * seq, the envelope as its JSON; a checkpoint as `(session_id, payload, seq,
 * created_at)`. `previousRow` gives an event's values in that column order;
 * `previousRecord` and `previousCheckpoint` read the rows back as the stores
 * did (pg returns a bigint seq as a string, hence `Number`).
 */
export function previousRow(
  envelope: Envelope,
  sessionId: string,
  seq: number,
  createdAt: string,
): [
  id: string,
  sessionId: string,
  seq: number,
  occurredAt: string,
  envelope: string,
  createdAt: string,
] {
  return [envelope.id, sessionId, seq, envelope.occurredAt, JSON.stringify(envelope), createdAt];
}

/** A selected `seq, id, session_id, envelope, created_at` row as a record. */
export function previousRecord(row: {
  seq: number | string;
  id: string;
  session_id: string;
  envelope: string;
  created_at: string;
}): HistoryRecord {
  return {
    id: row.id,
    sessionId: row.session_id,
    seq: Number(row.seq),
    envelope: JSON.parse(row.envelope),
    createdAt: row.created_at,
  };
}

/** A selected `session_id, payload, seq, created_at` checkpoint row as a checkpoint. */
export function previousCheckpoint(row: {
  session_id: string;
  payload: string;
  seq: number | string | null;
  created_at: string;
}): Checkpoint {
  return {
    sessionId: row.session_id,
    payload: JSON.parse(row.payload),
    createdAt: row.created_at,
    ...(row.seq === null ? {} : { seq: Number(row.seq) }),
  };
}
