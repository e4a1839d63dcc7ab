import type { PurgeResult } from '@history/core';
import type { PurgeRequest } from '@history/core/backend';
import type pg from 'pg';
import type { SessionStatements } from './session-statements.js';

/**
 * Most events one chunk deletes (core asks for up to 1,000). An append that commits while a
 * chunk runs waits for the WAL flush that carries the chunk's WAL: beside the benchmark's purge
 * of 1,000,000 events, 4 producers' append p99 was 6.4-7.8 ms with chunks of 1,000 (9 ms
 * each), 4.4-5.2 ms with 250 (purge 9.4 s -> 12.6-15.7 s); 100 gave 4.6 ms and took 25 s.
 */
const PURGE_CHUNK_ROWS = 250;

/**
 * One chunk of a purge: one statement in autocommit (`SessionStatements.purgeChunk`), so a
 * chunk is one round trip and one short transaction, which holds the row locks of the
 * sessions it purges (never of others) only while it runs. `done` once a chunk finds fewer
 * than its limit (`PURGE_CHUNK_ROWS` at most) to remove.
 */
export async function purgeExpired(
  pool: pg.Pool,
  sql: SessionStatements,
  request: PurgeRequest,
): Promise<PurgeResult> {
  const limit = Math.min(request.limit, PURGE_CHUNK_ROWS);
  const values: unknown[] = [limit, new Date(request.now).toISOString()];
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
  return { deletedEvents: deleted, sessions, done: found < limit };
}
