import { envelope, toArray } from '@history/contract-tests';
import type { FeedEntry, HistoryStore } from '@history/core';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFeedPosition } from '../src/feed-position.js';
import { createPostgresHistoryStore } from '../src/index.js';
import { readFeedPage } from '../src/read-feed.js';
import { ENVELOPE_SEPARATOR, Statements } from '../src/statements.js';
import { blockedBackend, pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema } from './store-fixture.js';

const keysOf = (entries: FeedEntry[]) =>
  entries.map((e) => `${e.record.sessionId}/${e.record.seq}/${e.record.id}`);

/**
 * A raw connection writing one event of `sessionId` inside a transaction it holds open, with
 * the writer's own hot-path statement (`Statements.appendNew`).
 */
async function openWriter(url: string, schema: string, applicationName: string) {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  await client.connect();
  await client.query('BEGIN');
  const sql = new Statements(schema);
  return {
    /** Takes the transaction's id now, as a batch's first lock would. */
    takeXid: async () => (await client.query('SELECT pg_current_xact_id()::text AS x')).rows[0].x,
    append: (sessionId: string, id: string) =>
      client.query({
        ...sql.appendNew,
        values: [
          [sessionId],
          [id],
          ['2025-01-01T00:00:00.000Z'],
          [
            JSON.stringify({ id, type: 'raw', payload: null, occurredAt: '2025-01-01T00:00:00Z' }),
          ].join(ENVELOPE_SEPARATOR),
          [0],
          null,
        ],
      }),
    commit: async () => {
      await client.query('COMMIT');
      await client.end();
    },
    abandon: () => client.end().catch(() => {}),
  };
}

/** Every position of `all` resumes with exactly the entries after it. */
async function expectResumable(store: HistoryStore, all: FeedEntry[]) {
  for (let k = 0; k < all.length; k++) {
    expect(await toArray(store.feed({ after: all[k]!.position }))).toEqual(all.slice(k + 1));
  }
}

for (const target of pgTargets()) {
  for (const partitions of [0, 4]) {
    describe(`feed horizon (${target.name}, ${partitions ? 'partitioned' : 'plain'})`, () => {
      let fixture: Awaited<ReturnType<typeof migratedSchema>>;
      let store: HistoryStore;
      const writers: Array<{ abandon(): Promise<void> }> = [];
      beforeEach(async () => {
        fixture = await migratedSchema(target.url, 'horizon', partitions);
        store = await createPostgresHistoryStore({
          connectionString: target.url,
          schema: fixture.schema,
          migrate: false,
          poolSize: 2,
        });
      });
      afterEach(async () => {
        await Promise.all(writers.splice(0).map((w) => w.abandon()));
        await store.close();
        await fixture.drop();
      });

      it('holds back a later commit until a transaction with a lower id commits, then delivers both once', async () => {
        await store.append(envelope(1, { sessionId: 'early' }));
        const before = await toArray(store.feed());
        expect(keysOf(before)).toEqual(['early/1/evt-1']);

        const a = await openWriter(target.url, fixture.schema, 'horizon-a');
        writers.push(a);
        await a.takeXid(); // A holds the lower transaction id ...
        await store.append(envelope(2, { sessionId: 'B' })); // ... B commits first.
        // B is committed but not delivered: A may still commit below it. (One page read: a
        // feed() would wait for A here.)
        const pool = testPool(target.url, 1);
        try {
          const { tx, pos } = parseFeedPosition(before[0]!.position);
          const sql = new Statements(fixture.schema);
          expect(await readFeedPage(pool, sql, 1 << 20, tx, pos, 100)).toEqual({ entries: [] });
          // A writes its event, with a lower pos too: still nothing deliverable.
          await a.append('A', 'raw-a');
          expect(await readFeedPage(pool, sql, 1 << 20, tx, pos, 100)).toEqual({ entries: [] });
        } finally {
          await pool.end();
        }
        // A feed() now waits for A (B is committed: it must not end without it).
        const resumed = toArray(store.feed({ after: before[0]!.position }));
        await a.commit();

        const all = await toArray(store.feed());
        expect(keysOf(all)).toEqual(['early/1/evt-1', 'A/1/raw-a', 'B/1/evt-2']);
        // The consumer that had read up to `early` misses nothing.
        expect(await resumed).toEqual(all.slice(1));
        await expectResumable(store, all);
      });

      it("keeps a session's seq order when a transaction took its id before waiting for the session", async () => {
        // A takes the lower id first (as a batch does at its first session's lock), then
        // waits for session S, which B (a higher id) holds; B commits, then A gets S's next seq.
        const a = await openWriter(target.url, fixture.schema, `order-a-${fixture.schema}`);
        const b = await openWriter(target.url, fixture.schema, `order-b-${fixture.schema}`);
        writers.push(a, b);
        await a.takeXid();
        await b.append('S', 'from-b');
        const waiting = a.append('S', 'from-a');
        const observer = testPool(target.url, 1);
        try {
          await blockedBackend(observer, `order-a-${fixture.schema}`);
        } finally {
          await observer.end();
        }
        await b.commit();
        await waiting;
        await a.commit();
        const all = await toArray(store.feed());
        expect(keysOf(all)).toEqual(['S/1/from-b', 'S/2/from-a']);
        await expectResumable(store, all);
      });

      it('a follower started before both commits sees each event once, in position order', async () => {
        const controller = new AbortController();
        const seen: FeedEntry[] = [];
        const following = (async () => {
          for await (const e of store.feed({ follow: true, signal: controller.signal })) {
            seen.push(e);
            if (seen.length === 3) controller.abort();
          }
        })();
        const a = await openWriter(target.url, fixture.schema, 'horizon-follow');
        writers.push(a);
        await a.takeXid();
        await store.append(envelope(1, { sessionId: 'B' }));
        await store.append(envelope(2, { sessionId: 'B' }));
        await a.append('A', 'raw-a');
        await a.commit();
        await following;
        expect(keysOf(seen)).toEqual(['A/1/raw-a', 'B/1/evt-1', 'B/2/evt-2']);
        expect(await toArray(store.feed())).toEqual(seen);
      });
    });
  }
}
