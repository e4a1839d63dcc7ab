import type { SessionPageRequest, StoredSession } from '@history/core/backend';
import type pg from 'pg';
import { prefixEnd, type SessionStatements } from './session-statements.js';

/** (session_id, last_seq, event_count, created_at, updated_at) in `rowMode: 'array'`. */
type SessionRow = [string, string, string, Date | null, Date | null];

/** One page of `listSessions`: keyset on the id in COLLATE "C" order, the prefix as a range. */
export async function listSessions(
  pool: pg.Pool,
  sql: SessionStatements,
  request: SessionPageRequest,
): Promise<StoredSession[]> {
  const end = request.prefix === undefined ? undefined : prefixEnd(request.prefix);
  const values: unknown[] = [request.limit];
  if (request.after !== undefined) values.push(request.after);
  if (request.prefix !== undefined) values.push(request.prefix);
  if (end !== undefined) values.push(end);
  const statement = sql.listSessions({
    after: request.after !== undefined,
    prefix: request.prefix !== undefined,
    end: end !== undefined,
  });
  const { rows } = await pool.query<SessionRow>({ ...statement, values, rowMode: 'array' });
  return rows.map(toStoredSession);
}

export async function getSession(
  pool: pg.Pool,
  sql: SessionStatements,
  sessionId: string,
): Promise<StoredSession | null> {
  const { rows } = await pool.query<SessionRow>({
    ...sql.getSession,
    values: [sessionId],
    rowMode: 'array',
  });
  return rows[0] ? toStoredSession(rows[0]) : null;
}

function toStoredSession([sessionId, lastSeq, eventCount, created, updated]: SessionRow) {
  // Both NULL only for a session of before migration 0003 with no event left, which a purge
  // would have given times: the epoch rather than an invalid date.
  const createdAt = created ?? updated ?? new Date(0);
  return {
    sessionId,
    lastSeq: Number(lastSeq),
    eventCount: Number(eventCount),
    createdAt: createdAt.toISOString(),
    updatedAt: (updated ?? createdAt).toISOString(),
  };
}
