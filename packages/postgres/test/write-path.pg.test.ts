import { randomBytes } from 'node:crypto';
import { envelope } from '@history/contract-tests';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresHistoryStore } from '../src/index.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { blockedBackend, pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema, retryingStore } from './store-fixture.js';

// Both write paths: bind parameters (the hot path, falling back to the duplicate-aware
// statement) and COPY into the staging table.
const PATHS = [
  ['bind parameters', 1_000_000],
  ['COPY', 1],
] as const;

for (const target of pgTargets()) {
  describe(`write path (${target.name})`, () => {
    let fixture: Awaited<ReturnType<typeof migratedSchema>>;
    let observer: pg.Pool;
    let appPool: pg.Pool;
    let applicationName: string;
    beforeEach(async () => {
      fixture = await migratedSchema(target.url, 'write');
      observer = testPool(target.url, 2);
      applicationName = `writer-${randomBytes(4).toString('hex')}`;
      appPool = testPool(target.url, 4);
      appPool.options.application_name = applicationName;
    });
    afterEach(async () => {
      await appPool.end();
      await observer.end();
      await fixture.drop();
    });

    const s = () => quoteIdentifier(fixture.schema);

    it.each(PATHS)(
      '%s: a batch mixing stored and new ids reports the stored seqs and numbers the rest without gaps',
      async (_, copyThreshold) => {
        const store = await createPostgresHistoryStore({
          pool: appPool,
          schema: fixture.schema,
          copyThreshold,
        });
        await store.appendMany([
          envelope(1),
          envelope(2),
          envelope(3),
          envelope(1, { sessionId: 's2' }),
        ]);
        const results = await store.appendMany([
          envelope(2),
          envelope(4),
          envelope(2, { sessionId: 's2' }),
          envelope(1),
          envelope(1, { sessionId: 's2' }),
          envelope(5),
        ]);
        expect(results.map((r) => [r.sessionId, r.id, r.seq, r.duplicate])).toEqual([
          ['s1', 'evt-2', 2, true],
          ['s1', 'evt-4', 4, false],
          ['s2', 'evt-2', 2, false],
          ['s1', 'evt-1', 1, true],
          ['s2', 'evt-1', 1, true],
          ['s1', 'evt-5', 5, false],
        ]);
        expect((await store.append(envelope(6))).seq).toBe(6);
        const { rows } = await observer.query(
          `SELECT session_id, array_agg(seq::int ORDER BY seq) AS seqs FROM ${s()}.events
           GROUP BY session_id ORDER BY session_id`,
        );
        expect(rows).toEqual([
          { session_id: 's1', seqs: [1, 2, 3, 4, 5, 6] },
          { session_id: 's2', seqs: [1, 2] },
        ]);
        await store.close();
      },
    );

    it.each(PATHS)(
      '%s: an id another writer stores while the batch waits for its session comes back as a duplicate',
      async (_, copyThreshold) => {
        const { store, attempts } = await retryingStore(appPool, fixture.schema, copyThreshold);
        // Another process holds s1's counter row; the store's batch waits for it with evt-2 not
        // yet stored in its snapshot, and the other process stores evt-2 before letting go.
        const other = await observer.connect();
        try {
          await other.query('BEGIN');
          await other.query(`SELECT 1 FROM ${s()}.sessions WHERE session_id = 's1' FOR UPDATE`);
          const pending = store.append(envelope(2)).catch((e) => e);
          await blockedBackend(observer, applicationName);
          await other.query(
            `INSERT INTO ${s()}.events (session_id, seq, id, occurred_at, envelope)
             VALUES ('s1', 2, 'evt-2', now(), '{"by":"other"}')`,
          );
          await other.query(`UPDATE ${s()}.sessions SET last_seq = 2 WHERE session_id = 's1'`);
          await other.query('COMMIT');
          expect(await pending).toEqual({ id: 'evt-2', sessionId: 's1', seq: 2, duplicate: true });
        } finally {
          other.release();
        }
        // The failed attempt left nothing behind: the next seq follows without a gap.
        expect((await store.append(envelope(3))).seq).toBe(3);
        // The COPY path's statement read its snapshot before waiting, so core retried it.
        expect(attempts.slice(1, 2)).toEqual([copyThreshold === 1 ? 2 : 1]);
        await store.close();
      },
    );

    it('concurrent batches over the same sessions in opposite orders never deadlock', async () => {
      const pools = [testPool(target.url, 4), testPool(target.url, 4)];
      const stores = await Promise.all(
        pools.map((pool) =>
          createPostgresHistoryStore({ pool, schema: fixture.schema, migrate: false, retries: 0 }),
        ),
      );
      try {
        const sessions = Array.from({ length: 10 }, (_, k) => `s${k}`);
        const ROUNDS = 30;
        await Promise.all(
          stores.map(async (store, w) => {
            const order = w === 0 ? sessions : [...sessions].reverse();
            for (let round = 0; round < ROUNDS; round++) {
              await store.appendMany(
                order.map((session) => envelope(w * ROUNDS + round, { sessionId: session })),
              );
            }
          }),
        );
        const { rows } = await observer.query(
          `SELECT count(*)::int AS n, count(DISTINCT (session_id, seq))::int AS keys,
                  max(seq)::int AS max FROM ${s()}.events`,
        );
        expect(rows[0]).toEqual({ n: 2 * ROUNDS * 10, keys: 2 * ROUNDS * 10, max: 2 * ROUNDS });
      } finally {
        for (const store of stores) await store.close();
        for (const pool of pools) await pool.end();
      }
    });
  });
}
