import { DEFAULT_PAGE_BYTES } from '@history/core/backend';
import pg from 'pg';

const { escapeLiteral } = pg;

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdentifier } from '../src/schema-name.js';
import { CREATE_STAGING, type ReadShape, Statements } from '../src/statements.js';
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

/** `Node Type on relation` of the scan nodes of a JSON plan, depth first. */
function scans(plan: Record<string, unknown>): string[] {
  const children = (plan.Plans as Record<string, unknown>[] | undefined) ?? [];
  const own = plan['Relation Name'] ? [`${plan['Node Type']} on ${plan['Relation Name']}`] : [];
  return [...own, ...children.flatMap(scans)];
}

/**
 * The scans of the duplicate-aware write statements' plans with `mode`: 0001's function once
 * looked ids up with a hash join over a Seq Scan of events, from a generic plan made while
 * the table was small.
 */
async function writePlans(pool: pg.Pool, sql: Statements, mode: string): Promise<string[][]> {
  const client = await pool.connect();
  const plans: string[][] = [];
  try {
    await client.query(`SET plan_cache_mode = ${mode}`);
    await client.query(CREATE_STAGING);
    for (const [statement, args] of [
      [sql.appendBatch, `('{s1}', '{e1}', '{2025-01-01T00:00:00Z}', '{}', NULL)`],
      [sql.appendStaged, ''],
    ] as const) {
      await client.query(`PREPARE w AS ${statement.text}`);
      try {
        const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE w${args}`);
        plans.push(scans(rows[0]['QUERY PLAN'][0].Plan));
      } finally {
        await client.query('DEALLOCATE w');
      }
    }
  } finally {
    await client.query('RESET plan_cache_mode');
    client.release();
  }
  return plans;
}

for (const target of pgTargets()) {
  describe(`write plans on an empty, never analysed table (${target.name})`, () => {
    it.each(['force_custom_plan', 'force_generic_plan'])(
      'ids are looked up by index (%s)',
      async (mode) => {
        const fixture = await migratedSchema(target.url, 'explainw');
        const pool = testPool(target.url, 1);
        try {
          for (const plan of await writePlans(pool, new Statements(fixture.schema), mode)) {
            expect(plan).toContain('Index Scan on events');
            expect(plan).not.toContain('Seq Scan on events');
          }
        } finally {
          await pool.end();
          await fixture.drop();
        }
      },
    );
  });

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

    it.each(['force_custom_plan', 'force_generic_plan'])(
      'the duplicate-aware writes look ids up by index (%s)',
      async (mode) => {
        for (const plan of await writePlans(pool, sql, mode)) {
          expect(plan).toContain('Index Scan on events');
          expect(plan).not.toContain('Seq Scan on events');
        }
      },
    );

    // Both the custom plan (first executions) and the generic plan a prepared statement
    // switches to later must be a range scan of the primary key: no Seq Scan, no Sort. So
    // must the query of a page of large envelopes (`readCut`).
    for (const mode of ['force_custom_plan', 'force_generic_plan'])
      for (const query of ['read', 'readCut'] as const) {
        it.each(shapes.map((s) => [label(s), s] as const))(
          `${query} %s (${mode})`,
          async (_, shape) => {
            const statement = sql[query](shape);
            // $4: the page's now, which skips expired rows (a filter on the same scan).
            const values: unknown[] = ['long', 1001, DEFAULT_PAGE_BYTES, '2025-06-01T00:00:00Z'];
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
          },
        );
      }
  });
}
