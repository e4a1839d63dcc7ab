/**
 * Every SQL statement the store runs, as constants built from fixed
 * fragments: nothing from the caller is ever part of the SQL text, it is
 * always bound as a parameter.
 */
export const SQL = {
  findSession: 'SELECT sid FROM session_state WHERE name = ?',
  insertSession: 'INSERT INTO session_state (name) VALUES (?) RETURNING sid',
  /** Read inside the write transaction, so two processes never hand out the same seq. */
  maxSeq: 'SELECT max(seq) AS seq FROM events WHERE sid = ?',
  /** A session's unsealed tail, from the (sid, seq, id_hash) index alone. Bound: sid, last sealed seq. */
  tailRows: 'SELECT seq, id_hash FROM events WHERE sid = ? AND seq > ? ORDER BY seq',
  idAt: 'SELECT id FROM events WHERE sid = ? AND seq = ?',
  /** A duplicate among the sealed seqs; CROSS JOIN keeps event_ids the outer loop. */
  findSealedDuplicate:
    'SELECT e.seq FROM event_ids x CROSS JOIN events e ON e.sid = x.sid AND e.seq = x.seq ' +
    'WHERE x.sid = ? AND x.id_hash = ? AND e.id = ?',
  /** With an explicit rowid: the feed position, never handed out twice (see `FeedRowids`). */
  insertEvent:
    'INSERT INTO events (rowid, sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json, expires_at_ms) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  /**
   * What bounds the next rowid (see `FeedRowids`): max(rowid), the b-tree's last entry (NULL
   * when empty), and the high-water mark of rowids removed from the top.
   */
  rowidBounds:
    'SELECT (SELECT max(rowid) FROM events), (SELECT high_water FROM feed_state WHERE id = 1)',
  maxRowid: 'SELECT max(rowid) FROM events',
  /** Bound: the rowid a delete or purge removed from the top of the table. */
  raiseHighWater: 'UPDATE feed_state SET high_water = max(high_water, ?) WHERE id = 1',
  /**
   * A feed page: a range of the table b-tree in rowid (commit) order, no index. Bound:
   * after (exclusive), most rows looked at.
   */
  feedPage:
    'SELECT rowid AS rowid, sid, seq, id, created_at_ms, json, expires_at_ms FROM events ' +
    'WHERE rowid > ? ORDER BY rowid LIMIT ?',
  /** A session's name; a sid never changes name (session_state rows are never deleted). */
  sessionName: 'SELECT name FROM session_state WHERE sid = ?',
  /** Whether the session exists, and the seq floor its deletes and purges left. Bound: sid. */
  sessionState:
    'SELECT created_at_ms IS NOT NULL AS live, seq_floor FROM session_state WHERE sid = ?',
  /** The first event of a new (or deleted) session brings it to life. Bound: created_at_ms, sid. */
  markLive: 'UPDATE session_state SET created_at_ms = ? WHERE sid = ?',
  /** What `getSession` needs of the session_state row; the rest comes from `lastEvent`. */
  sessionByName:
    'SELECT sid, name, created_at_ms, seq_base, purged_events, seq_floor, floor_updated_at_ms ' +
    'FROM session_state WHERE name = ?',
  /** The session's newest stored event: its seq and commit time. */
  lastEvent: 'SELECT seq, created_at_ms FROM events WHERE sid = ? ORDER BY seq DESC LIMIT 1',
  deleteEvents: 'DELETE FROM events WHERE sid = ?',
  deleteEventIds: 'DELETE FROM event_ids WHERE sid = ?',
  deleteTimeBlocks: 'DELETE FROM time_blocks WHERE sid = ?',
  deleteCheckpoint: 'DELETE FROM checkpoints WHERE sid = ?',
  /** Keeps the session's name and last seq only. Bound: last seq, last seq, sid. */
  tombstone:
    'UPDATE session_state SET created_at_ms = NULL, seq_base = ?, seq_floor = ?, purged_events = 0, ' +
    'floor_updated_at_ms = NULL WHERE sid = ?',
  /**
   * Expired events in expiry order, from `expiries` (migration 0006); `sid` is NULL for a row
   * whose event is gone (a purge stopped between its two steps). Bound: now, limit.
   */
  expiredEvents:
    'SELECT x.pos AS rowid, e.sid AS sid, e.seq AS seq, e.id_hash AS id_hash, x.expires_at_ms AS expires ' +
    'FROM expiries x LEFT JOIN events e ON e.pos = x.pos WHERE x.expires_at_ms <= ? ' +
    'ORDER BY x.expires_at_ms LIMIT ?',
  /**
   * One session's expired events in seq order, in a window of seqs. `+expires_at_ms`: the
   * filter must stay a row filter of the (sid, seq) walk.
   * Bound: sid, first seq, end seq (exclusive), now, limit.
   */
  expiredInSession:
    'SELECT rowid AS rowid, sid, seq, id_hash, expires_at_ms AS expires FROM events ' +
    'WHERE sid = ? AND seq >= ? AND seq < ? AND +expires_at_ms <= ? ORDER BY seq LIMIT ?',
  /** Live sessions after a sid, for the retention rules' walk. Bound: sid, limit. */
  liveSessionsAfter:
    'SELECT sid, seq_base, purged_events, seq_floor FROM session_state ' +
    'WHERE sid > ? AND created_at_ms IS NOT NULL ORDER BY sid LIMIT ?',
  /** A session's oldest events. Bound: sid, limit. */
  oldestEvents:
    'SELECT rowid AS rowid, sid, seq, id_hash, expires_at_ms AS expires FROM events ' +
    'WHERE sid = ? ORDER BY seq LIMIT ?',
  /** Events of a run of seqs that occurred at or before a cutoff. Bound: sid, after, until, cutoff, limit. */
  oldEventsInRun:
    'SELECT rowid AS rowid, sid, seq, id_hash, expires_at_ms AS expires FROM events ' +
    'WHERE sid = ? AND seq > ? AND seq <= ? AND occurred_at_ms <= ? ORDER BY seq LIMIT ?',
  /** By rowid, if it is still that event (rowids of deleted rows may be reused). */
  deleteEvent: 'DELETE FROM events WHERE rowid = ? AND sid = ? AND seq = ?',
  /** Bound: sid, id_hash, seq. */
  deleteEventId: 'DELETE FROM event_ids WHERE sid = ? AND id_hash = ? AND seq = ?',
  /** An expiry whose event is gone (positions are never reused). Bound: expiry, pos, pos. */
  deleteExpiry:
    'DELETE FROM expiries WHERE expires_at_ms = ? AND pos = ? ' +
    'AND NOT EXISTS (SELECT 1 FROM events WHERE pos = ?)',
  /** Bound: expiry, pos. */
  insertExpiry: 'INSERT INTO expiries (expires_at_ms, pos) VALUES (?, ?)',
  /** A session's expiries, before its events go. Bound: sid. */
  deleteSessionExpiries:
    'DELETE FROM expiries WHERE (expires_at_ms, pos) IN ' +
    '(SELECT expires_at_ms, pos FROM events WHERE sid = ? AND expires_at_ms IS NOT NULL)',
  /** What a purge reads of a session before removing its events. Bound: sid. */
  purgeState:
    'SELECT sid, seq_base, purged_events, seq_floor, floor_updated_at_ms FROM session_state WHERE sid = ?',
  /** Bound: seq floor, its commit time, events purged now, sid. */
  recordPurge:
    'UPDATE session_state SET seq_floor = ?, floor_updated_at_ms = ?, ' +
    'purged_events = purged_events + ? WHERE sid = ?',
  upsertCheckpoint:
    'INSERT INTO checkpoints (sid, json, created_at, seq) VALUES (?, ?, ?, ?) ' +
    'ON CONFLICT (sid) DO UPDATE SET json = excluded.json, created_at = excluded.created_at, seq = excluded.seq',
  readCheckpoint:
    'SELECT c.json AS json, c.created_at AS createdAt, c.seq AS seq FROM session_state s ' +
    'JOIN checkpoints c ON c.sid = s.sid WHERE s.name = ?',
  /** Bound: sid, block, sid, first seq - 1, last seq of the block. */
  sealTimeBlock:
    'INSERT OR REPLACE INTO time_blocks (sid, block, min_ms, max_ms) ' +
    'SELECT ?, ?, min(occurred_at_ms), max(occurred_at_ms) FROM events ' +
    'WHERE sid = ? AND seq > ? AND seq <= ?',
  /** Bound: sid, first seq - 1, last seq of the block. */
  sealEventIds:
    'INSERT INTO event_ids (sid, id_hash, seq) ' +
    'SELECT sid, id_hash, seq FROM events WHERE sid = ? AND seq > ? AND seq <= ?',
  /** Sealed blocks from a block on, in walk order (see `time-blocks.ts`). */
  timeBlocksForward:
    'SELECT block, min_ms, max_ms FROM time_blocks WHERE sid = ? AND block >= ? ORDER BY block',
  timeBlocksBackward:
    'SELECT block, min_ms, max_ms FROM time_blocks WHERE sid = ? AND block <= ? ORDER BY block DESC',
} as const;

/** Which optional predicates a page query has: one prepared statement per combination. */
export interface PageShape {
  backward: boolean;
  after: boolean;
  /** A bound on the far side of the walk (forward `seq <= ?`, backward `seq >= ?`). */
  until: boolean;
  from: boolean;
  to: boolean;
}

/**
 * A keyset page query on the (sid, seq, id_hash) index. Bound in this order: sid, [after],
 * [until], [fromMs], [toMs], now, limit. Absent filters are left out of the SQL
 * rather than neutralised with COALESCE, so the planner always sees sargable
 * predicates.
 */
export function pageSql(shape: PageShape): string {
  const where = ['sid = ?'];
  if (shape.after) where.push(shape.backward ? 'seq < ?' : 'seq > ?');
  if (shape.until) where.push(shape.backward ? 'seq >= ?' : 'seq <= ?');
  if (shape.from) where.push('occurred_at_ms >= ?');
  if (shape.to) where.push('occurred_at_ms <= ?');
  // Expired events are never read, purged or not; `now` is read once per page.
  where.push('(expires_at_ms IS NULL OR expires_at_ms > ?)');
  return (
    'SELECT seq, id, created_at_ms AS createdAtMs, json FROM events ' +
    `WHERE ${where.join(' AND ')} ORDER BY seq ${shape.backward ? 'DESC' : 'ASC'} LIMIT ?`
  );
}

/** All 32 page query shapes (for tests and plan checks). */
export function allPageShapes(): PageShape[] {
  const shapes: PageShape[] = [];
  for (let bits = 0; bits < 32; bits++) {
    shapes.push({
      backward: (bits & 1) !== 0,
      after: (bits & 2) !== 0,
      until: (bits & 4) !== 0,
      from: (bits & 8) !== 0,
      to: (bits & 16) !== 0,
    });
  }
  return shapes;
}

/** Which bounds a `listSessions` page has: one prepared statement per combination. */
export interface SessionPageShape {
  /** `name > ?` (after a cursor), `name >= ?` (from a prefix), or none. */
  lower: 'after' | 'from' | 'none';
  /** `name < ?`: the first string past every id starting with the prefix. */
  upper: boolean;
}

/**
 * A keyset page of existing sessions on the unique name index (BINARY collation: UTF-8
 * byte order). A prefix is a range on that index, never LIKE, whose `%` and `_` would be
 * wildcards. Bound in this order: [lower], [upper], limit.
 */
export function sessionPageSql(shape: SessionPageShape): string {
  const where = ['created_at_ms IS NOT NULL'];
  if (shape.lower === 'after') where.push('name > ?');
  if (shape.lower === 'from') where.push('name >= ?');
  if (shape.upper) where.push('name < ?');
  return (
    'SELECT sid, name, created_at_ms, seq_base, purged_events, seq_floor, floor_updated_at_ms ' +
    `FROM session_state WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`
  );
}

/** All 6 session page shapes (for tests and plan checks). */
export function allSessionPageShapes(): SessionPageShape[] {
  return (['after', 'from', 'none'] as const).flatMap((lower) => [
    { lower, upper: false },
    { lower, upper: true },
  ]);
}
