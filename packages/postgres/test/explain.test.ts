import pg from 'pg';

const { escapeLiteral } = pg;

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '../src/schema-name.js';
import { type ReadShape, Statements } from '../src/statements.js';
import { pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema } from './store-fixture.js';

const ROWS = 200_000;
const SESSIONS = 200;

const shapes: ReadShape[] = [];
for (const forward of [true, false])
  for (const after of [false, true])
    for (const from of [false, true])
      for (const to of [false, true]) shapes.push({ forward, after, from, to });

const label = (s: ReadShape) =>
  `${s.forward ? 'forward' : 'backward'}${s.after ? ' +after' : ''}${s.from ? ' +from' : ''}${s.to ? ' +to' : ''}`;

/** Node types of a JSON plan, depth first. */
function nodeTypes(plan: Record<string, unknown>): string[] {
  const children = (plan.Plans as Record<string, unknown>[] | undefined) ?? [];
  return [String(plan['Node Type']), ...children.flatMap(nodeTypes)];
}

for (const target of pgTargets()) {
  describe(`read plans on ${ROWS} rows (${target.name})`, () => {
    let fixture: Awaited<ReturnType<typeof migratedSchema>>;
    let pool: pg.Pool;
    let sql: Statements;
    beforeAll(async () => {
      fixture = await migratedSchema(target.url, 'explain');
      pool = testPool(target.url, 1);
      sql = new Statements(fixture.schema);
      const s = quoteIdentifier(fixture.schema);
      // Half the rows in one long session (the one read below), half spread over 200 short ones.
      await pool.query(
        `INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope)
         SELECT CASE WHEN g < $2 / 2 THEN 'long' ELSE 's' || (g % $1) END,
                CASE WHEN g < $2 / 2 THEN g + 1 ELSE (g - $2 / 2) / $1 + 1 END,
                'e' || g, timestamptz '2025-01-01' + g * interval '1 second', '{"x":1}'
         FROM generate_series(0, $2 - 1) AS g`,
        [SESSIONS, ROWS],
      );
      await pool.query(`ANALYZE ${s}.events`);
    });
    afterAll(async () => {
      await pool.end();
      await fixture.drop();
    });

    // Both the custom plan (first executions) and the generic plan a prepared statement
    // switches to later must be a range scan of the primary key: no Seq Scan, no Sort.
    for (const mode of ['force_custom_plan', 'force_generic_plan']) {
      it.each(shapes.map((s) => [label(s), s] as const))(`%s (${mode})`, async (_, shape) => {
        const statement = sql.read(shape);
        const values: unknown[] = ['long', 1000];
        if (shape.after) values.push(shape.forward ? 500 : 90_000);
        if (shape.from) values.push('2025-01-01T00:10:00Z');
        if (shape.to) values.push('2025-01-02T00:00:00Z'); // both bounds inside the session's span
        const client = await pool.connect();
        try {
          await client.query(`SET plan_cache_mode = ${mode}`);
          await client.query(`PREPARE p AS ${statement.text}`);
          // EXECUTE takes no bind parameters: the test's own constants go in as literals.
          const literals = values.map((v) => escapeLiteral(String(v))).join(', ');
          const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE p(${literals})`);
          const types = nodeTypes(rows[0]['QUERY PLAN'][0].Plan);
          expect(types).toContain('Index Scan');
          expect(types).not.toContain('Seq Scan');
          expect(types).not.toContain('Sort');
          expect(types).not.toContain('Bitmap Heap Scan');
        } finally {
          await client.query('DEALLOCATE p').catch(() => {});
          await client.query('RESET plan_cache_mode');
          client.release();
        }
      });
    }
  });
}
