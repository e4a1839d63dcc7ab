/**
 * Every SQL statement the store runs, as constants built from fixed
 * fragments: nothing from the caller is ever part of the SQL text, it is
 * always bound as a parameter.
 */
export const SQL = {
  findSession: 'SELECT sid FROM sessions WHERE name = ?',
  insertSession: 'INSERT INTO sessions (name) VALUES (?) RETURNING sid',
  /** Read inside the write transaction, so two processes never hand out the same seq. */
  maxSeq: 'SELECT max(seq) AS seq FROM events WHERE sid = ?',
  /** A session's unsealed tail, from the (sid, seq, id_hash) index alone. Bound: sid, last sealed seq. */
  tailRows: 'SELECT seq, id_hash FROM events WHERE sid = ? AND seq > ? ORDER BY seq',
  idAt: 'SELECT id FROM events WHERE sid = ? AND seq = ?',
  /** A duplicate among the sealed seqs; CROSS JOIN keeps event_ids the outer loop. */
  findSealedDuplicate:
    'SELECT e.seq FROM event_ids x CROSS JOIN events e ON e.sid = x.sid AND e.seq = x.seq ' +
    'WHERE x.sid = ? AND x.id_hash = ? AND e.id = ?',
  insertEvent:
    'INSERT INTO events (sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
  upsertCheckpoint:
    'INSERT INTO checkpoints (sid, json, created_at, seq) VALUES (?, ?, ?, ?) ' +
    'ON CONFLICT (sid) DO UPDATE SET json = excluded.json, created_at = excluded.created_at, seq = excluded.seq',
  readCheckpoint:
    'SELECT c.json AS json, c.created_at AS createdAt, c.seq AS seq FROM sessions s ' +
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
 * [until], [fromMs], [toMs], limit. Absent filters are left out of the SQL
 * rather than neutralised with COALESCE, so the planner always sees sargable
 * predicates.
 */
export function pageSql(shape: PageShape): string {
  const where = ['sid = ?'];
  if (shape.after) where.push(shape.backward ? 'seq < ?' : 'seq > ?');
  if (shape.until) where.push(shape.backward ? 'seq >= ?' : 'seq <= ?');
  if (shape.from) where.push('occurred_at_ms >= ?');
  if (shape.to) where.push('occurred_at_ms <= ?');
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
