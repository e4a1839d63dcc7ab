import { nextSeq } from '../next-seq.js';
import { openRawPgTable } from '../raw-pg-table.js';
import type { Floor } from '../subject.js';

/**
 * pg serving P awaiting producers: per round, `JSON.stringify` of each
 * envelope and one multi-row `INSERT` of them all (autocommit: one commit per
 * round) into a table keyed on (session_id, seq); seqs counted in memory.
 */
export async function openPostgresFloor(url: string, schema: string): Promise<Floor> {
  const { client, table, close } = await openRawPgTable(url, schema, 'envelope json NOT NULL');
  const seqOf = nextSeq(() => 0);
  return {
    async writeRound(envelopes) {
      const values: unknown[] = [];
      const rows: string[] = [];
      for (const e of envelopes) {
        const sessionId = e.sessionId ?? 'default';
        const seq = seqOf(sessionId);
        const n = values.length;
        rows.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})`);
        values.push(sessionId, seq, e.id, JSON.stringify(e));
      }
      await client.query(
        `INSERT INTO ${table} (session_id, seq, id, envelope) VALUES ${rows.join(', ')}`,
        values,
      );
    },
    close,
  };
}
