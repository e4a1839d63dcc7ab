import type { SessionRow } from './threads/tasks.js';

/** A `session_state` row as `SQL.sessionByName` and `sessionPageSql` select it. */
export interface SessionsTableRow {
  sid: number;
  name: string;
  /** NULL: the session does not exist (see migration 0004). */
  created_at_ms: number | null;
  seq_base: number;
  purged_events: number;
  seq_floor: number;
  floor_updated_at_ms: number | null;
}

/** The session's newest stored event (`SQL.lastEvent`). */
export interface LastEventRow {
  seq: number;
  created_at_ms: number;
}

/**
 * What `getSession` reports, from the session_state row and the newest event: nothing is
 * counted, and that row is never written by an append to an existing session.
 * A newer event than the seq floor gives the last seq and update time; otherwise the
 * floor (a delete or purge removed the newest events) does. Every seq after `seq_base`
 * went to a stored event (seqs are handed out one by one under the write lock), so the
 * events stored now are those seqs less the ones purged.
 */
/** `row` must be of an existing session (`created_at_ms` not NULL). */
export function toSessionRow(row: SessionsTableRow, last: LastEventRow | undefined): SessionRow {
  const fromEvent = last !== undefined && last.seq >= row.seq_floor;
  const lastSeq = fromEvent ? last.seq : row.seq_floor;
  return {
    sessionId: row.name,
    lastSeq,
    eventCount: lastSeq - row.seq_base - row.purged_events,
    createdAtMs: row.created_at_ms!,
    updatedAtMs: fromEvent ? last.created_at_ms : (row.floor_updated_at_ms ?? row.created_at_ms!),
  };
}
