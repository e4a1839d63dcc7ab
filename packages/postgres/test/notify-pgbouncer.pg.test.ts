import { envelope } from '@history/contract-tests';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { commitChannel } from '../src/commit-channel.js';
import { createPostgresHistoryStore } from '../src/index.js';
import { PostgresBackend } from '../src/postgres-backend.js';
import { testPool } from './pg-fixtures.js';
import { bouncerUpstream, pgBouncerForSuite } from './pgbouncer-fixture.js';
import { migratedSchema } from './store-fixture.js';

const upstream = bouncerUpstream();

/** Connections of the server holding `schema`'s listener lock (a store's listener, wherever it connected). */
async function lockHolders(observer: pg.Pool, schema: string): Promise<number> {
  const { rows } = await observer.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND objsubid = 1 AND granted
       AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid`,
    [commitChannel(schema).lockKey],
  );
  return rows[0]!.n;
}

async function untilHolders(observer: pg.Pool, schema: string, count: number): Promise<void> {
  while ((await lockHolders(observer, schema)) !== count) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe(`LISTEN/NOTIFY with the stores behind PgBouncer, pool_mode = transaction (in front of ${upstream.name})`, () => {
  const bouncer = pgBouncerForSuite(upstream);
  let fixture: Awaited<ReturnType<typeof migratedSchema>>;
  let observer: pg.Pool;
  beforeEach(async () => {
    fixture = await migratedSchema(upstream.url, 'bnotify');
    observer = testPool(upstream.url, 1);
  });
  afterEach(async () => {
    await observer.end();
    await fixture.drop();
  });
  const open = (options: { followPollMs?: number; listenConnectionString?: string } = {}) =>
    createPostgresHistoryStore({
      connectionString: bouncer.url,
      poolMode: 'transaction',
      schema: fixture.schema,
      migrate: false,
      ...options,
    });

  it('writers behind the pooler NOTIFY while a listener on listenConnectionString holds the channel lock, and wake its followers', async () => {
    // A bare LISTEN on the server, not a store's listener: it holds no lock, so it only observes.
    const spy = new pg.Client({ connectionString: upstream.url });
    await spy.connect();
    let notifications = 0;
    spy.on('notification', () => notifications++);
    await spy.query(`LISTEN ${commitChannel(fixture.schema).quoted}`);
    const appendAll = async (from: number) => {
      const writer = await open();
      for (let i = from; i < from + 10; i++) await writer.append(envelope(i, { sessionId: 'a' }));
      // close() waits for NOTIFYs in flight; the spy's next round trip then delivers any.
      await writer.close();
      await spy.query('SELECT 1');
    };
    try {
      // No listener: the writer's pg_locks check (through the pooler) finds none, sends nothing.
      await appendAll(1);
      expect(notifications).toBe(0);
      const follower = await open({ followPollMs: 60_000, listenConnectionString: upstream.url });
      const controller = new AbortController();
      const seen: string[] = [];
      const following = (async () => {
        for await (const e of follower.feed({ follow: true, signal: controller.signal })) {
          seen.push(e.record.id);
          if (seen.length === 20) controller.abort();
        }
      })();
      await untilHolders(observer, fixture.schema, 1);
      await appendAll(11);
      expect(notifications).toBeGreaterThan(0);
      // Within the test's timeout, well under the follower's 60 s poll.
      await following;
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => `evt-${i + 1}`));
      await follower.close();
    } finally {
      await spy.end();
    }
    // The lock went with the listener's direct connection: none stays on a pooled one.
    await untilHolders(observer, fixture.schema, 0);
  });

  it('without listenConnectionString a store behind the pooler opens no LISTEN connection (its followers poll)', async () => {
    // Never connected: the backend is only constructed.
    const pool = new pg.Pool({ connectionString: bouncer.url });
    onTestFinished(() => pool.end());
    const backend = (options: object) =>
      new PostgresBackend({
        pool,
        ownsPool: false,
        schema: fixture.schema,
        copyThreshold: Number.POSITIVE_INFINITY,
        pageSize: 10,
        pageBytes: 1 << 20,
        notify: true,
        ...options,
      });
    expect(backend({ poolMode: 'transaction' }).watchCommits).toBeUndefined();
    expect(
      backend({ poolMode: 'transaction', listenConnectionString: upstream.url }).watchCommits,
    ).toBeTypeOf('function');
    expect(backend({ poolMode: 'session' }).watchCommits).toBeTypeOf('function');
  });

  it('followers without listenConnectionString poll: another store’s appends reach them', async () => {
    const follower = await open({ followPollMs: 20 });
    const writer = await open();
    try {
      const controller = new AbortController();
      const seen: string[] = [];
      const following = (async () => {
        for await (const r of follower.stream('s', { follow: true, signal: controller.signal })) {
          seen.push(r.id);
          if (seen.length === 3) controller.abort();
        }
      })();
      await writer.appendMany([1, 2, 3].map((n) => envelope(n, { sessionId: 's' })));
      await following;
      expect(seen).toEqual(['evt-1', 'evt-2', 'evt-3']);
      expect(await lockHolders(observer, fixture.schema)).toBe(0);
    } finally {
      await writer.close();
      await follower.close();
    }
  });
});
