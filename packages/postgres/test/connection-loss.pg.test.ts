import { randomBytes } from 'node:crypto';
import { envelope, envelopes } from '@history/contract-tests';
import { StorageError } from '@history/core';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresHistoryStore } from '../src/index.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { blockedBackend, pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema, retryingStore } from './store-fixture.js';

for (const target of pgTargets()) {
  describe(`connection killed during a batch (${target.name})`, () => {
    let fixture: Awaited<ReturnType<typeof migratedSchema>>;
    let observer: pg.Pool;
    let blocker: pg.PoolClient;
    let appPool: pg.Pool;
    let applicationName: string;
    beforeEach(async () => {
      fixture = await migratedSchema(target.url, 'connloss');
      observer = testPool(target.url, 2);
      blocker = await observer.connect();
      applicationName = `victim-${randomBytes(4).toString('hex')}`;
      appPool = testPool(target.url, 2);
      appPool.options.application_name = applicationName;
    });
    afterEach(async () => {
      blocker.release();
      await appPool.end();
      await observer.end();
      await fixture.drop();
    });

    const s = () => quoteIdentifier(fixture.schema);

    /**
     * Holds an uncommitted row at seq 2 of session s1 on the blocker connection:
     * the store's next batch takes the session lock, then blocks inside its
     * INSERT on that key, and is killed there with pg_terminate_backend.
     */
    async function blockInsertAtSeq2() {
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO ${s()}.events (session_id, seq, id, occurred_at, envelope)
         VALUES ('s1', 2, 'blocker', now(), '{}')`,
      );
    }

    it.each([
      ['unnest', 1_000_000],
      ['COPY', 1],
    ])(
      '%s batch: retried transparently on a new connection, nothing duplicated',
      async (_, copyThreshold) => {
        const { store, attempts } = await retryingStore(appPool, fixture.schema, copyThreshold);
        await blockInsertAtSeq2();
        const pending = store.appendMany(envelopes(50, {}, 2));
        const singles = Array.from({ length: 10 }, (_, k) => store.append(envelope(100 + k)));

        const victim = await blockedBackend(observer, applicationName);
        await observer.query('SELECT pg_terminate_backend($1)', [victim]);
        // The retry blocks on the same row until the blocker gives up its insert.
        await blockedBackend(observer, applicationName);
        await blocker.query('ROLLBACK');

        const results = await pending;
        const singleResults = await Promise.all(singles);
        expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, k) => k + 2));
        expect(results.every((r) => !r.duplicate)).toBe(true);
        expect(singleResults.every((r) => !r.duplicate)).toBe(true);
        expect(Math.max(...attempts)).toBeGreaterThan(1); // the killed batch was retried

        const { rows } = await observer.query(
          `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, max(seq)::int AS max
         FROM ${s()}.events WHERE session_id = 's1'`,
        );
        expect(rows[0]).toEqual({ n: 61, ids: 61, max: 61 });
        const seqs = [];
        for await (const r of store.stream('s1')) seqs.push(r.seq);
        expect(seqs).toEqual(Array.from({ length: 61 }, (_, k) => k + 1));
        await store.close();
      },
    );

    it('without retries the batch rejects, and the store recovers', async () => {
      const store = await createPostgresHistoryStore({
        pool: appPool,
        schema: fixture.schema,
        retries: 0,
      });
      await store.append(envelope(1));
      await blockInsertAtSeq2();
      // Caught at once: the rejection may come before pg_terminate_backend's own reply.
      const pending = store.appendMany([envelope(2), envelope(3)]).catch((e) => e);
      await observer.query('SELECT pg_terminate_backend($1)', [
        await blockedBackend(observer, applicationName),
      ]);
      const error = await pending;
      expect(StorageError.isInstance(error)).toBe(true);
      expect(error.transient).toBe(true);
      await blocker.query('ROLLBACK');

      // The rejected batch left nothing; appending it again stores it once, from seq 2.
      const again = await store.appendMany([envelope(2), envelope(3)]);
      expect(again.map((r) => [r.seq, r.duplicate])).toEqual([
        [2, false],
        [3, false],
      ]);
      expect((await store.append(envelope(2))).duplicate).toBe(true);
      const { rows } = await observer.query(`SELECT count(*)::int AS n FROM ${s()}.events`);
      expect(rows[0].n).toBe(3);
      await store.close();
    });
  });
}
