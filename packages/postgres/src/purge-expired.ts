import type { PurgeResult } from '@history/core';
import type { PurgeRequest } from '@history/core/backend';
import type pg from 'pg';
import type { SessionStatements } from './session-statements.js';

/**
 * One chunk of a purge: one statement in autocommit (`SessionStatements.purgeChunk`), so a
 * chunk is one round trip and one short transaction, which holds the row locks of the
 * sessions it purges (never of others) only while it runs. `done` once a chunk finds fewer
 * than `limit` events to remove.
 */
export async function purgeExpired(
  pool: pg.Pool,
  sql: SessionStatements,
  request: PurgeRequest,
): Promise<PurgeResult> {
  const values: unknown[] = [request.limit, new Date(request.now).toISOString()];
  if (request.maxAgeMs !== undefined)
    values.push(new Date(request.now - request.maxAgeMs).toISOString());
  if (request.maxEventsPerSession !== undefined) values.push(request.maxEventsPerSession);
  const statement = sql.purgeChunk(
    request.maxAgeMs !== undefined,
    request.maxEventsPerSession !== undefined,
  );
  const { rows } = await pool.query<{ found: number; deleted: number; sessions: number }>({
    ...statement,
    values,
  });
  const { found, deleted, sessions } = rows[0]!;
  return { deletedEvents: deleted, sessions, done: found < request.limit };
}
