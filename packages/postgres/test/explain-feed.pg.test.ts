import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { type NamedStatement, Statements } from '../src/statements.js';
import { dropSchema, freshSchemaName, pgTargets, testPool } from './pg-fixtures.js';

const { escapeLiteral } = pg;
const EVENTS = 100_000;
const MODES = ['force_custom_plan', 'force_generic_plan'];

/** `Node Type on relation [using index]` of every node of a JSON plan, depth first. */
function nodes(plan: Record<string, unknown>): string[] {
  const index = plan['Index Name'] ? ` using ${plan['Index Name']}` : '';
  const own = plan['Relation Name']
    ? `${plan['Node Type']} on ${plan['Relation Name']}${index}`
    : String(plan['Node Type']);
  const children = (plan.Plans as Record<string, unknown>[] | undefined) ?? [];
  return [own, ...children.flatMap(nodes)];
}

async function planOf(pool: pg.Pool, statement: NamedStatement, values: unknown[], mode: string) {
  const client = await pool.connect();
  try {
    await client.query(`SET plan_cache_mode = ${mode}`);
    await client.query(`PREPARE p AS ${statement.text}`);
    const literals = values.map((v) => escapeLiteral(String(v))).join(', ');
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE p(${literals})`);
    return nodes(rows[0]['QUERY PLAN'][0].Plan);
  } finally {
    await client.query('DEALLOCATE p').catch(() => {});
    await client.query('RESET plan_cache_mode');
    client.release();
  }
}

for (const target of pgTargets()) {
  for (const partitions of [0, 4]) {
    describe(`feed query plans, ${EVENTS} events, partitions ${partitions} (${target.name})`, () => {
      const schema = freshSchemaName('explainf');
      let pool: pg.Pool;
      beforeAll(async () => {
        await migrate({ connectionString: target.url }, { schema, partitions });
        pool = testPool(target.url, 1);
        const s = quoteIdentifier(schema);
        await pool.query(`INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope)
          SELECT 's' || (g % 1000), g / 1000 + 1, 'e' || g, now(), '{}'
          FROM generate_series(0, ${EVENTS - 1}) g`);
        await pool.query(`ANALYZE ${s}.events`);
      });
      afterAll(async () => {
        await pool.end();
        await dropSchema(target.url, schema);
      });

      it('every feed statement is a keyset range scan of (tx, pos): no Sort, no Seq Scan', async () => {
        const sql = new Statements(schema);
        const { rows } = await pool.query(
          `SELECT tx::text, pos::text FROM ${quoteIdentifier(schema)}.events ORDER BY tx, pos OFFSET 5000 LIMIT 1`,
        );
        const values = [rows[0].tx, rows[0].pos, 1000, new Date().toISOString(), 1 << 22];
        const feedIndex = partitions ? /using events_p\d_feed$/ : /using events_feed$/;
        for (const mode of MODES) {
          for (const statement of [sql.feed, sql.feedCut, sql.feedAhead]) {
            const plan = await planOf(
              pool,
              statement,
              statement === sql.feedAhead ? values.slice(0, 2) : values,
              mode,
            );
            const where = `${mode}: ${plan.join(' / ')}`;
            expect(
              plan.some((n) => /^Sort|Seq Scan/.test(n)),
              where,
            ).toBe(false);
            const scansOfEvents = plan.filter((n) => / on events/.test(n));
            expect(scansOfEvents.length, where).toBeGreaterThan(0);
            expect(
              scansOfEvents.every((n) => /^Index (Only )?Scan/.test(n) && feedIndex.test(n)),
              where,
            ).toBe(true);
            if (partitions && statement !== sql.feedAhead)
              expect(plan, where).toContain('Merge Append');
          }
        }
      });
    });
  }
}
