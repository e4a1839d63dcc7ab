import { randomBytes } from 'node:crypto';
import { envelope, envelopes } from '@history/contract-tests';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresHistoryStore } from '../src/index.js';
import { pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema } from './store-fixture.js';

/** Connections whose application_name is `name`, as the server sees them. */
async function connectionsNamed(url: string, name: string): Promise<number> {
  const pool = testPool(url, 1);
  try {
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [name],
    );
    return rows[0].n;
  } finally {
    await pool.end();
  }
}

function withApplicationName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

for (const target of pgTargets()) {
  describe(`pool handling (${target.name})`, () => {
    let fixture: Awaited<ReturnType<typeof migratedSchema>>;
    beforeEach(async () => {
      fixture = await migratedSchema(target.url, 'pool');
    });
    afterEach(async () => {
      await fixture.drop();
    });

    it('never ends a caller-supplied pool', async () => {
      const pool = testPool(target.url, 2);
      try {
        const store = await createPostgresHistoryStore({ pool, schema: fixture.schema });
        await store.append(envelope(1));
        await store.close();
        expect(pool.ended).toBe(false);
        await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
      } finally {
        await pool.end();
      }
    });

    it('ends the pool it created on close', async () => {
      const name = `owned-${randomBytes(4).toString('hex')}`;
      const store = await createPostgresHistoryStore({
        connectionString: withApplicationName(target.url, name),
        schema: fixture.schema,
      });
      await store.append(envelope(1));
      expect(await connectionsNamed(target.url, name)).toBeGreaterThan(0);
      await store.close();
      // Server-side disconnect is asynchronous; wait (bounded) for it to be seen.
      for (let i = 0; i < 50 && (await connectionsNamed(target.url, name)) > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await connectionsNamed(target.url, name)).toBe(0);
    });

    it('leaving a stream early releases the connection (pool of one)', async () => {
      const pool = testPool(target.url, 1);
      try {
        const store = await createPostgresHistoryStore({
          pool,
          schema: fixture.schema,
          pageSize: 10,
        });
        await store.appendMany(envelopes(100));
        for (let round = 0; round < 3; round++) {
          const seen: number[] = [];
          for await (const record of store.stream('s1')) {
            seen.push(record.seq);
            if (seen.length === 15) break; // mid second page
          }
          expect(seen).toEqual(Array.from({ length: 15 }, (_, k) => k + 1));
          expect(pool.idleCount + pool.waitingCount).toBe(pool.totalCount);
          // If the stream still held the only connection, these would wait forever.
          await expect(pool.query('SELECT 1 AS one')).resolves.toMatchObject({
            rows: [{ one: 1 }],
          });
          expect((await store.append(envelope(1000 + round))).duplicate).toBe(false);
        }
        await store.close();
      } finally {
        await pool.end();
      }
    });

    it('streams a long session page by page with bounded pages', async () => {
      const pool = testPool(target.url, 1);
      try {
        const store = await createPostgresHistoryStore({
          pool,
          schema: fixture.schema,
          pageSize: 100,
          // Only the stream's queries are counted below: no NOTIFY after the appends.
          notify: false,
        });
        await store.appendMany(envelopes(1050));
        const pages: number[] = [];
        const original = pool.query.bind(pool);
        (pool as unknown as { query: typeof pool.query }).query = (async (...args: unknown[]) => {
          const result = await (
            original as (...a: unknown[]) => Promise<{ rowCount: number | null }>
          )(...args);
          pages.push(result.rowCount ?? 0);
          return result;
        }) as unknown as typeof pool.query;
        let n = 0;
        for await (const record of store.stream('s1', { direction: 'backward' })) {
          expect(record.seq).toBe(1050 - n++);
        }
        expect(n).toBe(1050);
        // Each query reads one row past its page, so the short eleventh page ends the stream.
        expect(pages).toEqual([...Array(10).fill(101), 50]);

        // A session that ends exactly on a page boundary needs no trailing empty query,
        // and a limit that ends on one reads no look-ahead row.
        await store.appendMany(envelopes(200, { sessionId: 's2' }));
        pages.length = 0;
        let m = 0;
        for await (const _ of store.stream('s2')) m++;
        expect(m).toBe(200);
        expect(pages).toEqual([101, 100]);
        pages.length = 0;
        m = 0;
        for await (const _ of store.stream('s2', { limit: 150 })) m++;
        expect(m).toBe(150);
        expect(pages).toEqual([101, 50]);
        await store.close();
      } finally {
        await pool.end();
      }
    });
  });
}
