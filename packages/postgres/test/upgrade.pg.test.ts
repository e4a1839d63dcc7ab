import { collect, envelope, toArray } from '@history/contract-tests';
import type { HistoryStore } from '@history/core';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresHistoryStore, migrate } from '../src/index.js';
import { migratePool } from '../src/migrate.js';
import { latestVersion, loadMigrations } from '../src/migrations.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { dropSchema, pgTargets, testPool } from './pg-fixtures.js';
import { restoreFixture } from './restore-fixture.js';

/** The sessions the fixture script wrote, in byte order, with their events. */
const SESSIONS = [
  ['Zeta', 2],
  ['a%_b', 2],
  ['a_b', 2],
  ['alpha', 5],
  ['é', 2],
] as const;

const ids = async (store: HistoryStore, sessionId: string, after?: number) =>
  (await collect(() => store.stream(sessionId, after === undefined ? {} : { after }))).map((r) => [
    r.seq,
    r.id,
  ]);

/** Commit times of each session's first and last event, as the old release stored them. */
async function eventTimes(pool: pg.Pool, schema: string) {
  const { rows } = await pool.query<{ session_id: string; first: Date; last: Date }>(
    `SELECT session_id,
            (array_agg(created_at ORDER BY seq))[1] AS first,
            (array_agg(created_at ORDER BY seq DESC))[1] AS last
     FROM ${quoteIdentifier(schema)}.events GROUP BY session_id`,
  );
  return new Map(rows.map((r) => [r.session_id, r]));
}

for (const target of pgTargets()) {
  for (const layout of ['plain', 'partitioned'] as const) {
    describe(`upgrade from a store written by 5ef4f53 (${layout}, ${target.name})`, () => {
      let schema: string;
      let pool: pg.Pool;
      beforeEach(async () => {
        schema = await restoreFixture(target.url, layout);
        pool = testPool(target.url, 4);
      });
      afterEach(async () => {
        await pool.end();
        await dropSchema(target.url, schema);
      });

      it('migrates to 0003 (indexes valid) and loses nothing: events, cursors, ids, checkpoint, sessions', async () => {
        const times = await eventTimes(pool, schema);
        expect(await migrate({ pool }, { schema })).toEqual({
          applied: [3, 4],
          version: latestVersion(),
        });
        const { rows: indexes } = await pool.query(
          `SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE c.relnamespace = $1::regnamespace AND c.relname ~ '(expires_at|_c)$'
           ORDER BY c.relname`,
          [quoteIdentifier(schema)],
        );
        const partitionIndexes = layout === 'partitioned' ? [0, 1, 2, 3] : [];
        expect(indexes).toEqual(
          [
            'events_expires_at',
            ...partitionIndexes.map((p) => `events_p${p}_expires_at`),
            'sessions_session_id_c',
          ].map((relname) => ({ relname, indisvalid: true })),
        );

        const store = await createPostgresHistoryStore({ pool, schema, migrate: false });
        try {
          // Every old event: rows of before 0003 carry no expiry column (the old release
          // ignored ttlMs, and the migration does not rewrite events), but core still drops a
          // record whose envelope's ttlMs has passed: alpha's e2 and e3.
          for (const [sessionId, count] of SESSIONS) {
            const live = Array.from({ length: count }, (_, k) => [k + 1, `${sessionId}-e${k + 1}`]);
            expect(await ids(store, sessionId)).toEqual(
              sessionId === 'alpha' ? live.filter(([seq]) => seq !== 2 && seq !== 3) : live,
            );
          }
          expect(await ids(store, 'alpha', 3)).toEqual([
            [4, 'alpha-e4'],
            [5, 'alpha-e5'],
          ]);
          const { rows: stored } = await pool.query(
            `SELECT count(*)::int AS n FROM ${quoteIdentifier(schema)}.events`,
          );
          expect(stored[0].n).toBe(13);
          expect(await store.getCheckpoint('alpha')).toMatchObject({
            payload: { upTo: 5, summary: 'old checkpoint' },
            seq: 5,
          });

          const listed = [];
          for await (const s of store.listSessions()) listed.push(s);
          expect(listed).toEqual(
            SESSIONS.map(([sessionId, count]) => ({
              sessionId,
              lastSeq: count,
              eventCount: count,
              createdAt: times.get(sessionId)!.first.toISOString(),
              updatedAt: times.get(sessionId)!.last.toISOString(),
            })),
          );
          const prefixed = [];
          for await (const s of store.listSessions({ prefix: 'a_' })) prefixed.push(s.sessionId);
          expect(prefixed).toEqual(['a_b']);
          expect(await store.getSession('checkpoint-only')).toBeNull();

          // Old ids are still deduplicated; new events continue the old seqs.
          const [again, next] = await store.appendMany([
            envelope(1, { id: 'alpha-e1', sessionId: 'alpha' }),
            envelope(6, { id: 'alpha-e6', sessionId: 'alpha' }),
          ]);
          expect(again).toMatchObject({ seq: 1, duplicate: true });
          expect(next).toMatchObject({ seq: 6, duplicate: false });
          const alpha = await store.getSession('alpha');
          expect(alpha).toMatchObject({
            lastSeq: 6,
            eventCount: 6,
            createdAt: times.get('alpha')!.first.toISOString(),
          });
          expect(alpha!.updatedAt > times.get('alpha')!.last.toISOString()).toBe(true);
          await expect(
            store.append(envelope(7, { id: 'alpha-e7', sessionId: 'alpha' }), { expectedSeq: 6 }),
          ).resolves.toMatchObject({ seq: 7 });

          // Retention on an old session keeps its times (taken from the events before they go).
          const purged = await purgeAll(
            await createPostgresHistoryStore({
              pool,
              schema,
              migrate: false,
              retention: { maxEventsPerSession: 1 },
            }),
          );
          expect(purged).toBe(1 + 1 + 1 + 6 + 1);
          expect(await store.getSession('Zeta')).toEqual({
            sessionId: 'Zeta',
            lastSeq: 2,
            eventCount: 1,
            createdAt: times.get('Zeta')!.first.toISOString(),
            updatedAt: times.get('Zeta')!.last.toISOString(),
          });
          expect(await ids(store, 'Zeta')).toEqual([[2, 'Zeta-e2']]);

          // Deleting an old session erases it; the next append continues after its last seq.
          expect(await store.deleteSession('alpha')).toEqual({ deletedEvents: 1 });
          expect(await store.getCheckpoint('alpha')).toBeNull();
          await expect(
            store.append(envelope(1, { id: 'alpha-e1', sessionId: 'alpha' }), { expectedSeq: 0 }),
          ).resolves.toMatchObject({ seq: 8, duplicate: false });
        } finally {
          await store.close();
        }
      });

      it('a store written at schema 3 gets a feed of every old event, then the new ones after them', async () => {
        const s = quoteIdentifier(schema);
        await migratePool(pool, schema, 0, loadMigrations().slice(0, 3));
        // More rows than one backfill batch (5,000), written as a version-3 writer does.
        await pool.query(`INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope)
          SELECT 'bulk-' || (g % 7), g / 7 + 1, 'b' || g, now(), '{"id":"b' || g || '"}'
          FROM generate_series(0, 11999) g`);
        await pool.query(`INSERT INTO ${s}.sessions (session_id, last_seq)
          SELECT 'bulk-' || k, count(*) FROM generate_series(0, 11999) g, LATERAL (SELECT g % 7 AS k) x
          GROUP BY k`);
        const { rows: old } = await pool.query<{ key: string }>(
          `SELECT session_id || '/' || seq || '/' || id AS key FROM ${s}.events ORDER BY session_id, seq`,
        );
        expect(await migrate({ pool }, { schema })).toEqual({ applied: [4], version: 4 });

        const store = await createPostgresHistoryStore({ pool, schema, migrate: false });
        try {
          const added = await store.appendMany([
            envelope(6, { id: 'alpha-e6', sessionId: 'alpha' }),
            envelope(1, { id: 'fresh-1', sessionId: 'fresh' }),
          ]);
          added.push(await store.append(envelope(2, { id: 'bulk-new', sessionId: 'bulk-3' })));
          const feed = await toArray(store.feed());
          const keys = feed.map((e) => `${e.record.sessionId}/${e.record.seq}/${e.record.id}`);
          // Old events first, in (session_id, seq) order (alpha's e2 and e3 expired by their
          // envelope's ttlMs, see above), each at tx 0; then the new ones.
          const expired = new Set(['alpha/2/alpha-e2', 'alpha/3/alpha-e3']);
          const oldKeys = old.map((r) => r.key).filter((k) => !expired.has(k));
          expect(oldKeys).toHaveLength(11 + 12000);
          expect(keys).toEqual([
            ...oldKeys,
            'alpha/6/alpha-e6',
            'fresh/1/fresh-1',
            `bulk-3/${added[2]!.seq}/bulk-new`,
          ]);
          expect(feed.slice(0, oldKeys.length).every((e) => e.position.startsWith('0.'))).toBe(
            true,
          );
          expect(added[2]!.seq).toBe(old.filter((r) => r.key.startsWith('bulk-3/')).length + 1);
          // Resuming after the last old event yields exactly the new ones.
          const lastOld = feed[oldKeys.length - 1]!.position;
          expect(await toArray(store.feed({ after: lastOld }))).toEqual(feed.slice(-3));
          // Old stream cursors still hold.
          expect(await ids(store, 'alpha', 3)).toEqual([
            [4, 'alpha-e4'],
            [5, 'alpha-e5'],
            [6, 'alpha-e6'],
          ]);
          // Nothing left unnumbered, and the backfill's helper indexes are gone.
          const { rows: left } = await pool.query(
            `SELECT count(*)::int AS n FROM ${s}.events WHERE tx IS NULL OR pos IS NULL`,
          );
          expect(left).toEqual([{ n: 0 }]);
          const { rows: helpers } = await pool.query(
            `SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace
             AND relname LIKE '%feed_backfill'`,
            [s],
          );
          expect(helpers).toEqual([]);
        } finally {
          await store.close();
        }
      });

      it('a migration cut short (an index left INVALID) is run again whole', async () => {
        const s = quoteIdentifier(schema);
        // What an interrupted concurrent build leaves: an invalid index under the final name
        // (a unique index over duplicates fails its concurrent build and stays INVALID).
        const leftover = layout === 'plain' ? 'events_expires_at' : 'events_p0_expires_at';
        const table = layout === 'plain' ? 'events' : 'events_p0';
        await pool.query(`ALTER TABLE ${s}.events ADD COLUMN expires_at timestamptz`);
        await pool.query(`INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope)
                          SELECT 'zz' || g, 1, 'x', now(), '{}' FROM generate_series(1, 40) g`);
        await expect(
          pool.query(`CREATE UNIQUE INDEX CONCURRENTLY ${leftover} ON ${s}.${table} ((1))`),
        ).rejects.toThrow(/could not create unique index/);

        expect((await migrate({ pool }, { schema })).applied).toEqual([3, 4]);
        const { rows } = await pool.query(
          `SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
           WHERE i.indexrelid = $1::regclass`,
          [`${s}.${leftover}`],
        );
        expect(rows).toEqual([
          {
            indisvalid: true,
            def: expect.stringMatching(/\(expires_at\) WHERE \(expires_at IS NOT NULL\)/),
          },
        ]);
        // And once more from scratch over what is there: every statement is idempotent.
        await pool.query(`DELETE FROM ${s}.schema_migrations WHERE version >= 3`);
        expect((await migrate({ pool }, { schema })).applied).toEqual([3, 4]);
      });
    });
  }
}

async function purgeAll(store: HistoryStore): Promise<number> {
  try {
    let total = 0;
    for (;;) {
      const { deletedEvents, done } = await store.purgeExpired({ limit: 3 });
      total += deletedEvents;
      if (done) return total;
    }
  } finally {
    await store.close();
  }
}
