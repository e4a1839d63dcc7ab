import type { PurgeResult } from '@history/core';
import type { PurgeRequest } from '@history/core/backend';
import type pg from 'pg';
import { isTransientPgError } from './is-transient.js';
import { withClient } from './pg-connection.js';
import type { SessionStatements } from './session-statements.js';

/**
 * One chunk of a purge, in one short transaction: find up to `limit` events to remove (no
 * lock), lock their sessions' counter rows in COLLATE "C" order (the order appends lock them
 * in: no deadlock, and no append of those sessions interleaves), then delete the events by
 * (session_id, seq) and lower the sessions' counts. last_seq is never touched.
 */
export function purgeExpired(
  pool: pg.Pool,
  sql: SessionStatements,
  request: PurgeRequest,
): Promise<PurgeResult> {
  const values: unknown[] = [request.limit, new Date(request.now).toISOString()];
  if (request.maxAgeMs !== undefined)
    values.push(new Date(request.now - request.maxAgeMs).toISOString());
  if (request.maxEventsPerSession !== undefined) values.push(request.maxEventsPerSession);
  const candidates = sql.purgeCandidates(
    request.maxAgeMs !== undefined,
    request.maxEventsPerSession !== undefined,
  );
  return withClient(
    pool,
    async (client, discard) => {
      await client.query('BEGIN');
      try {
        const { rows } = await client.query<[string, string]>({
          ...candidates,
          values,
          rowMode: 'array',
        });
        let deletedEvents = 0;
        let sessions = 0;
        if (rows.length > 0) {
          await client.query({
            ...sql.lockExisting,
            values: [[...new Set(rows.map(([sessionId]) => sessionId))]],
          });
          const lost = await client.query<{ n: number }>({
            ...sql.purgeRows,
            values: [rows.map(([sessionId]) => sessionId), rows.map(([, seq]) => seq)],
          });
          for (const { n } of lost.rows) deletedEvents += n;
          sessions = lost.rows.length;
        }
        await client.query('COMMIT');
        return { deletedEvents, sessions, done: rows.length < request.limit };
      } catch (error) {
        await client.query('ROLLBACK').catch(discard);
        throw error;
      }
    },
    isTransientPgError,
  );
}
