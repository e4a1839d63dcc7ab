import { copyLine, copyRows } from '../pg-copy.js';
import { openRawPgTable } from '../raw-pg-table.js';
import type { Ceiling } from '../subject.js';

/**
 * The fastest pg goes with no store around it: one `COPY FROM STDIN` per
 * batch of pre-serialised rows (its own transaction) into a table keyed on
 * (session_id, seq).
 */
export async function openPostgresCeiling(url: string, schema: string): Promise<Ceiling> {
  const { client, table, close } = await openRawPgTable(
    url,
    schema,
    'occurred_at timestamptz NOT NULL, json text NOT NULL',
  );
  const sql = `COPY ${table} (session_id, seq, id, occurred_at, json) FROM STDIN`;
  return {
    prepare: (rows) =>
      rows.map((r) =>
        copyLine([
          r.sessionId,
          String(r.seq),
          r.id,
          new Date(r.occurredAtMs).toISOString(),
          r.json,
        ]),
      ),
    async writeBatch(prepared) {
      await copyRows(client, sql, prepared as string[]);
    },
    close,
  };
}
