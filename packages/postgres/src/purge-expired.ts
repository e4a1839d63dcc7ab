import { setTimeout as sleep } from 'node:timers/promises';
import type { PurgeResult } from '@history/core';
import type { PurgeRequest } from '@history/core/backend';
import type pg from 'pg';
import type { SessionStatements } from './session-statements.js';

/**
 * Most events one chunk deletes (core asks for up to 1,000). A chunk's backend competes with
 * the appends' backends for CPU and for the WAL flush (its deletes log a full-page image of
 * each heap page they first touch after a checkpoint), so every append that overlaps a chunk
 * is slower: a smaller chunk is a shorter such stretch. Figures: README, "purgeExpired".
 */
const PURGE_CHUNK_ROWS = 100;

/**
 * After a chunk, the purge rests this many times as long as the chunk took, so its backend is
 * busy a third of the time at most, as autovacuum's cost-based delay does: a rest that scales
 * with the chunk's time backs off by itself as the server gets busier.
 */
const REST_PER_CHUNK_TIME = 2;

/**
 * One chunk of a purge: one statement in autocommit (`SessionStatements.purgeChunk`), so a
 * chunk is one round trip and one short transaction, which holds the row locks of the
 * sessions it purges (never of others) only while it runs. `done` once a chunk finds fewer
 * than its limit (`PURGE_CHUNK_ROWS` at most) to remove; until then it resolves after its
 * rest (`REST_PER_CHUNK_TIME`).
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
  const started = performance.now();
  const { rows } = await pool.query<{ found: number; deleted: number; sessions: number }>({
    ...statement,
    values,
  });
  const { found, deleted, sessions } = rows[0]!;
  const done = found < limit;
  if (!done) await sleep((performance.now() - started) * REST_PER_CHUNK_TIME);
  return { deletedEvents: deleted, sessions, done };
}
