import { fileURLToPath } from 'node:url';
import { envelope } from '@history/contract-tests';
import type { FeedEntry } from '@history/core';
import { startReadyChild } from '@history/test-services/ready-child';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitChannel } from '../src/commit-channel.js';
import { LISTENER_APPLICATION_NAME } from '../src/commit-listener.js';
import { createPostgresHistoryStore } from '../src/index.js';
import { pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema } from './store-fixture.js';

const FOLLOWER = fileURLToPath(new URL('./fixtures/feed-follower.mjs', import.meta.url));
const WRITER = fileURLToPath(new URL('./fixtures/append-worker.mjs', import.meta.url));

/**
 * Pids of the listener connections of `schema`'s channel: those holding its advisory lock, which
 * a listener takes once its LISTEN is done (writers NOTIFY only while one holds it).
 */
async function listenerPids(observer: pg.Pool, schema: string): Promise<number[]> {
  const { rows } = await observer.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
       AND l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid
       AND a.application_name = $2`,
    [commitChannel(schema).lockKey, LISTENER_APPLICATION_NAME],
  );
  return rows.map((r) => r.pid);
}

const listeners = async (observer: pg.Pool, schema: string) =>
  (await listenerPids(observer, schema)).length;

/** Waits (bounded by the test's timeout) until `count` connections listen on `schema`'s channel. */
async function untilListening(observer: pg.Pool, schema: string, count: number): Promise<void> {
  while ((await listeners(observer, schema)) !== count) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const target of pgTargets()) {
  describe(`LISTEN/NOTIFY wake-ups (${target.name})`, () => {
    let fixture: Awaited<ReturnType<typeof migratedSchema>>;
    let observer: pg.Pool;
    beforeEach(async () => {
      fixture = await migratedSchema(target.url, 'notify');
      observer = testPool(target.url, 1);
    });
    afterEach(async () => {
      await observer.end();
      await fixture.drop();
    });
    /** A store on the test's schema (migrated already). */
    const open = (options: { followPollMs?: number } = {}) =>
      createPostgresHistoryStore({
        connectionString: target.url,
        schema: fixture.schema,
        migrate: false,
        ...options,
      });

    it("a follower process polling once a minute is woken by another process's append", async () => {
      const follower = await startReadyChild(FOLLOWER, [], {
        HISTORY_TEST_URL: target.url,
        HISTORY_TEST_SCHEMA: fixture.schema,
        HISTORY_TEST_COUNT: '2',
      });
      await untilListening(observer, fixture.schema, 1);
      const store = await open();
      try {
        await store.append(envelope(1, { sessionId: 'a' }));
        await store.append(envelope(2, { sessionId: 'b' }));
      } finally {
        await store.close();
      }
      // Within the test's timeout, well under the follower's 60 s poll: a notification woke it.
      const [code] = await follower.exited;
      expect(code).toBe(0);
      const seen = JSON.parse(follower.output().split('\n')[1]!);
      expect(seen.map((e: { id: string }) => e.id)).toEqual(['evt-1', 'evt-2']);
    });

    it('writers NOTIFY only while a listener holds the channel lock', async () => {
      // A bare LISTEN, not a store's listener: it holds no lock, so it only observes.
      const spy = new pg.Client({ connectionString: target.url });
      await spy.connect();
      let notifications = 0;
      spy.on('notification', () => notifications++);
      await spy.query(`LISTEN ${commitChannel(fixture.schema).quoted}`);
      const appendAll = async (from: number) => {
        const writer = await open();
        for (let i = from; i < from + 20; i++) await writer.append(envelope(i));
        // close() waits for NOTIFYs in flight; the spy's next round trip then delivers any.
        await writer.close();
        await spy.query('SELECT 1');
      };
      try {
        await appendAll(1);
        expect(notifications).toBe(0);
        const follower = await open();
        const controller = new AbortController();
        const following = (async () => {
          for await (const _ of follower.feed({ follow: true, signal: controller.signal })) {
            // reading only
          }
        })();
        await untilListening(observer, fixture.schema, 1);
        await appendAll(100);
        expect(notifications).toBeGreaterThan(0);
        controller.abort();
        await following;
        await follower.close();
      } finally {
        await spy.end();
      }
    });

    it('1,000 followers in one process share one listener connection, and all wake', async () => {
      const store = await open({ followPollMs: 60_000 });
      const writer = await open();
      try {
        const followers = Array.from({ length: 1000 }, async () => {
          for await (const e of store.feed({ follow: true })) return e.record.id;
        });
        // Each follower joined as its loop started: one connection listens for all 1,000.
        await untilListening(observer, fixture.schema, 1);
        // All 1,000 loops have started (each joined before its first read): still one.
        await new Promise((resolve) => setImmediate(resolve));
        expect(await listeners(observer, fixture.schema)).toBe(1);
        await writer.append(envelope(1));
        expect(await Promise.all(followers)).toEqual(Array(1000).fill('evt-1'));
      } finally {
        await writer.close();
        await store.close();
      }
      // close() ended the listener.
      await untilListening(observer, fixture.schema, 0);
    });

    it('the listener reconnects after its connection is killed, and wakes followers again', async () => {
      const store = await open({ followPollMs: 60_000 });
      const writer = await open();
      try {
        const controller = new AbortController();
        const seen: string[] = [];
        const following = (async () => {
          for await (const e of store.feed({ follow: true, signal: controller.signal })) {
            seen.push(e.record.id);
            if (seen.length === 2) controller.abort();
          }
        })();
        await untilListening(observer, fixture.schema, 1);
        const [pid] = await listenerPids(observer, fixture.schema);
        await observer.query('SELECT pg_terminate_backend($1)', [pid]);
        await writer.append(envelope(1)); // may land while no one listens: found on reconnect
        await untilListening(observer, fixture.schema, 1);
        await writer.append(envelope(2));
        await following;
        expect(seen).toEqual(['evt-1', 'evt-2']);
      } finally {
        await writer.close();
        await store.close();
      }
    });

    it('two writer processes and a follower: every event once, each session in seq order', async () => {
      const store = await open({ followPollMs: 60_000 });
      try {
        const total = 2 * 1000; // each writer: 1,000 events (then 2 duplicates, not stored)
        const controller = new AbortController();
        const seen: FeedEntry[] = [];
        const following = (async () => {
          for await (const e of store.feed({ follow: true, signal: controller.signal })) {
            seen.push(e);
            if (seen.length === total) controller.abort();
          }
        })();
        await untilListening(observer, fixture.schema, 1);
        const writers = ['a', 'b'].map((prefix) =>
          startReadyChild(WRITER, [], {
            HISTORY_TEST_URL: target.url,
            HISTORY_TEST_SCHEMA: fixture.schema,
            HISTORY_TEST_PREFIX: prefix,
            HISTORY_TEST_COUNT: '1000',
          }),
        );
        const children = await Promise.all(writers);
        for (const { child } of children) child.stdin.write('go\n');
        for (const { exited } of children) expect((await exited)[0]).toBe(0);
        await following;
        expect(seen).toHaveLength(total);
        expect(new Set(seen.map((e) => e.record.id)).size).toBe(total);
        // One session ('shared'), so its seqs in feed order are 1..total.
        expect(seen.map((e) => e.record.seq)).toEqual(
          Array.from({ length: total }, (_, k) => k + 1),
        );
      } finally {
        await store.close();
      }
    });
  });
}
