import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { type SessionPageShape, SessionStatements } from '../src/session-statements.js';
import type { NamedStatement } from '../src/statements.js';
import { dropSchema, freshSchemaName, pgTargets, testPool } from './pg-fixtures.js';

const { escapeLiteral } = pg;

const SESSIONS = 50_000;
const EVENTS = 100_000;
const MODES = ['force_custom_plan', 'force_generic_plan'];

/**
 * `Node Type on relation [using index]` of the nodes of a JSON plan, depth first, leaving out
 * subplans: the session columns' fallbacks to the events, run only for sessions of before
 * migration 0003 (see session-statements.ts), are planned but not run for the others.
 */
function scans(plan: Record<string, unknown>): string[] {
  const children = ((plan.Plans as Record<string, unknown>[] | undefined) ?? []).filter(
    (child) => child['Parent Relationship'] !== 'SubPlan',
  );
  const index = plan['Index Name'] ? ` using ${plan['Index Name']}` : '';
  const own = plan['Relation Name']
    ? [`${plan['Node Type']} on ${plan['Relation Name']}${index}`]
    : [String(plan['Node Type'])];
  return [...own, ...children.flatMap(scans)];
}

/** The plan of `statement` with `values`, prepared, under `mode`. */
async function planOf(pool: pg.Pool, statement: NamedStatement, values: unknown[], mode: string) {
  const client = await pool.connect();
  try {
    await client.query(`SET plan_cache_mode = ${mode}`);
    await client.query(`PREPARE p AS ${statement.text}`);
    const literals = values
      .map((v) =>
        Array.isArray(v) ? `${escapeLiteral(`{${v.join(',')}}`)}` : escapeLiteral(String(v)),
      )
      .join(', ');
    const { rows } = await client.query(`EXPLAIN (FORMAT JSON) EXECUTE p(${literals})`);
    return scans(rows[0]['QUERY PLAN'][0].Plan);
  } finally {
    await client.query('DEALLOCATE p').catch(() => {});
    await client.query('RESET plan_cache_mode');
    client.release();
  }
}

for (const target of pgTargets()) {
  for (const partitions of [0, 4]) {
    describe(`lifecycle query plans, ${SESSIONS} sessions, ${EVENTS} events, partitions ${partitions} (${target.name})`, () => {
      const schema = freshSchemaName('explainl');
      let pool: pg.Pool;
      let sql: SessionStatements;
      beforeAll(async () => {
        await migrate({ connectionString: target.url }, { schema, partitions });
        pool = testPool(target.url, 1);
        sql = new SessionStatements(schema);
        const s = quoteIdentifier(schema);
        // Sessions s0..s49999, every tenth a tombstone; events of the first 1,000, one in 50
        // with an expiry (half of them past at 2025-06-01).
        await pool.query(
          `INSERT INTO ${s}.sessions (session_id, last_seq, event_count, created_at, updated_at, deleted_at)
           SELECT 's' || g, 100, 100, now(), now(), CASE WHEN g % 10 = 9 THEN now() END
           FROM generate_series(0, $1 - 1) AS g`,
          [SESSIONS],
        );
        await pool.query(
          `INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope, expires_at)
           SELECT 's' || (g / 100), g % 100 + 1, 'e' || g, timestamptz '2025-01-01' + g * interval '1 minute',
                  '{"x":1}',
                  CASE WHEN g % 50 = 0 THEN timestamptz '2025-01-01' + g * interval '4 minutes' END
           FROM generate_series(0, $1 - 1) AS g`,
          [EVENTS],
        );
        await pool.query(`ANALYZE ${s}.sessions`);
        await pool.query(`ANALYZE ${s}.events`);
      });
      afterAll(async () => {
        await pool.end();
        await dropSchema(target.url, schema);
      });

      const pages: [string, SessionPageShape, unknown[]][] = [
        ['first page', { after: false, prefix: false, end: false }, [100]],
        ['after', { after: true, prefix: false, end: false }, [100, 's2500']],
        ['prefix', { after: false, prefix: true, end: true }, [100, 's12', 's13']],
        ['after and prefix', { after: true, prefix: true, end: true }, [100, 's125', 's12', 's13']],
      ];
      for (const mode of MODES) {
        it.each(pages)(
          `listSessions, %s: a range scan of sessions_session_id_c, no sort (${mode})`,
          async (_, shape, values) => {
            const plan = await planOf(pool, sql.listSessions(shape), values, mode);
            expect(plan).toContain('Index Scan on sessions using sessions_session_id_c');
            expect(plan.join()).not.toMatch(/Seq Scan|Sort|Bitmap/);
          },
        );

        it(`purge candidates use the expiry index, never a scan of events (${mode})`, async () => {
          const plan = await planOf(
            pool,
            sql.purgeCandidates(false, false),
            [1000, '2025-06-01T00:00:00Z'],
            mode,
          );
          expect(plan.join()).toMatch(
            /Index (Only )?Scan on events(_p\d)? using events(_p\d)?_expires_at/,
          );
          expect(plan.join()).not.toMatch(/Seq Scan|Bitmap/);
        });

        it(`maxEventsPerSession candidates: sessions over the count, then each one's events by index (${mode})`, async () => {
          const plan = await planOf(
            pool,
            sql.purgeCandidates(false, true),
            [1000, '2025-06-01T00:00:00Z', 10],
            mode,
          );
          // The sessions table is scanned (documented: it has one row per session, and the
          // counts live there); events only ever through an index of the session's.
          expect(plan.join()).toMatch(
            /Scan.* on events(_p\d)? using events(_p\d)?_(pkey|session_id_id_key)/,
          );
          expect(plan.join()).not.toMatch(/Seq Scan on events/);
        });

        // Partitioned, a ctid names a row only within its partition: the planner may probe
        // each partition's primary key instead (with run-time pruning), as before.
        if (partitions === 0) {
          it(`a purge chunk deletes its candidates by TID, with no index descent (${mode})`, async () => {
            const plan = await planOf(
              pool,
              sql.purgeChunk(false, false),
              [1000, '2025-06-01T00:00:00Z'],
              mode,
            );
            expect(plan).toContain('Tid Scan on events');
            expect(plan.join()).not.toMatch(/Scan on events using events_pkey/);
          });
        }

        it(`getSession, the erase of deleteSession, a purge chunk: index probes only (${mode})`, async () => {
          const plans = [
            await planOf(pool, sql.getSession, ['s7'], mode),
            await planOf(pool, sql.eraseSession, ['s7'], mode),
            await planOf(pool, sql.purgeChunk(false, false), [1000, '2025-06-01T00:00:00Z'], mode),
            await planOf(
              pool,
              sql.storedIds,
              [
                ['s7', 's8'],
                ['e1', 'e2'],
              ],
              mode,
            ),
          ];
          for (const plan of plans)
            expect(plan.join()).not.toMatch(/Seq Scan on (events|sessions)/);
        });
      }
    });
  }
}
