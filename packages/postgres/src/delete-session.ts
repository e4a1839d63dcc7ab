import type pg from 'pg';
import { isTransientPgError } from './is-transient.js';
import { withClient } from './pg-connection.js';
import type { SessionStatements } from './session-statements.js';

/**
 * Erases a session in one transaction: its counter row is locked first, as every writer of
 * the session (in any process) locks it before writing, so a racing append commits wholly
 * before the erase (and is erased) or wholly after it (and starts the session afresh, its
 * seqs after the tombstone's last_seq). Then one statement, whose snapshot is taken after the
 * lock was granted, deletes the events and the checkpoint and turns the row into a tombstone.
 */
export function deleteSession(
  pool: pg.Pool,
  sql: SessionStatements,
  sessionId: string,
): Promise<{ deletedEvents: number }> {
  return withClient(
    pool,
    async (client, discard) => {
      await client.query('BEGIN');
      try {
        await client.query({ ...sql.lockSession, values: [sessionId] });
        const { rows } = await client.query<{ deleted: number }>({
          ...sql.eraseSession,
          values: [sessionId],
        });
        await client.query('COMMIT');
        return { deletedEvents: rows[0]?.deleted ?? 0 };
      } catch (error) {
        await client.query('ROLLBACK').catch(discard);
        throw error;
      }
    },
    isTransientPgError,
  );
}
