import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { envelope, envelopes, runHistoryStoreContract, toArray } from '@history/contract-tests';
import type { HistoryStore } from '@history/core';
import { type ReplicatedPostgres, startReplicatedPostgres } from '@history/test-services/replica';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPostgresHistoryStore,
  migrate,
  type PostgresReplicaOptions,
  REPLICA_CHANNEL,
  type ReplicaReadMetrics,
} from '../src/index.js';
import { dropSchema, freshSchemaName } from './pg-fixtures.js';

// A primary and a streaming hot standby of its own (the servers the other tests use cannot
// replicate): PostgreSQL 15 from the system's binaries.
let servers: ReplicatedPostgres;
const metrics: ReplicaReadMetrics[] = [];
const onMetrics = (m: unknown) => metrics.push(m as ReplicaReadMetrics);

beforeAll(async () => {
  servers = await startReplicatedPostgres();
}, 120_000);
afterAll(async () => {
  await servers?.stop();
});

/** Polls `check` (short backoff, bounded): the tests wait for states, never for time. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let waitMs = 1, tries = 0; !(await check()); waitMs = Math.min(waitMs * 2, 50), tries++) {
    if (tries > 2000) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

async function queryOn<T extends pg.QueryResultRow>(url: string, text: string, values?: unknown[]) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The replica's clock, for comparing with its `pg_stat_activity.query_start`. */
async function replicaNow(): Promise<string> {
  const [row] = await queryOn<{ now: string }>(
    servers.replicaUrl,
    'SELECT clock_timestamp()::text AS now',
  );
  return row!.now;
}

/**
 * Resolves once a connection named `applicationName` has asked the replica for its replay
 * position after `since` (the replica's clock): a store waiting for the replay polls it.
 */
function untilPolling(applicationName: string, since: string): Promise<void> {
  return until(
    async () =>
      (
        await queryOn(
          servers.replicaUrl,
          `SELECT 1 FROM pg_stat_activity WHERE application_name = $1
             AND query LIKE '%pg_last_wal_replay_lsn%' AND query_start > $2::timestamptz`,
          [applicationName, since],
        )
      ).length > 0,
    `${applicationName} polling the replica's replay position`,
  );
}

const seqsOf = (records: Array<{ seq: number }>) => records.map((r) => r.seq);
const servedBy = () =>
  metrics.map((m) => `${m.operation}:${m.server}${m.reason ? `:${m.reason}` : ''}`);

describe('read replicas', () => {
  let schema: string;
  const stores: HistoryStore[] = [];
  const pools: pg.Pool[] = [];

  beforeAll(() => {
    subscribe(REPLICA_CHANNEL, onMetrics);
  });
  afterAll(() => {
    unsubscribe(REPLICA_CHANNEL, onMetrics);
  });
  beforeEach(async () => {
    schema = freshSchemaName('replica');
    await migrate({ connectionString: servers.primaryUrl }, { schema });
    metrics.length = 0;
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await Promise.all(pools.splice(0).map((p) => p.end()));
    await dropSchema(servers.primaryUrl, schema);
  });

  /** A store on the primary alone. */
  async function open(options: Record<string, unknown> = {}): Promise<HistoryStore> {
    const store = await createPostgresHistoryStore({
      connectionString: servers.primaryUrl,
      schema,
      migrate: false,
      poolSize: 2,
      ...options,
    });
    stores.push(store);
    return store;
  }

  /** A store reading from the replica (its URL unless `replica.pool` is given). */
  function withReplica(
    replica: Partial<PostgresReplicaOptions> = {},
    options: Record<string, unknown> = {},
  ): Promise<HistoryStore> {
    const where = replica.pool ? {} : { connectionString: servers.replicaUrl };
    return open({ replica: { ...where, ...replica }, ...options });
  }

  /** A replica pool of the test's own, its connections named so that the replica shows them. */
  function namedReplicaPool(): { pool: pg.Pool; name: string } {
    const name = `replica-test-${schema}`;
    const pool = new pg.Pool({
      connectionString: servers.replicaUrl,
      application_name: name,
      max: 2,
    });
    pool.on('error', () => {});
    pools.push(pool);
    return { pool, name };
  }

  it('serves stream, listSessions, getSession and feed from the replica, exactly as the primary has them once replayed', async () => {
    const writer = await open();
    await writer.appendMany(envelopes(5, { sessionId: 'chat-a' }));
    await writer.appendMany(envelopes(3, { sessionId: 'chat-b' }, 6));
    await writer.append(envelope(9, { sessionId: 'other' }));
    await writer.appendMany(envelopes(2, { sessionId: 'gone' }, 10));
    await writer.deleteSession('gone');
    await writer.append(envelope(12, { sessionId: 'chat-a', ttlMs: 1 })); // expired at once
    await servers.waitForReplay();

    const reader = await withReplica();
    const readAll = async (store: HistoryStore) => {
      const feed = await toArray(store.feed());
      return {
        streams: await Promise.all(
          ['chat-a', 'chat-b', 'other', 'gone'].map((id) => toArray(store.stream(id))),
        ),
        backward: await toArray(
          store.stream('chat-a', { direction: 'backward', after: 4, limit: 2 }),
        ),
        sessions: await toArray(store.listSessions()),
        prefixed: await toArray(store.listSessions({ prefix: 'chat-', limit: 1 })),
        session: await store.getSession('chat-b'),
        deleted: await store.getSession('gone'),
        feed,
        feedAfter: await toArray(store.feed({ after: feed[2]!.position, limit: 4 })),
      };
    };
    const onPrimary = await readAll(writer);
    expect(seqsOf(onPrimary.streams[0]!)).toEqual([1, 2, 3, 4, 5]);
    expect(onPrimary.feed.map((e) => e.record.id)).toEqual([
      'evt-1',
      'evt-2',
      'evt-3',
      'evt-4',
      'evt-5',
      'evt-6',
      'evt-7',
      'evt-8',
      'evt-9',
    ]);
    metrics.length = 0;
    // Every record, session and feed position as the primary has them.
    expect(await readAll(reader)).toEqual(onPrimary);
    expect(metrics.length).toBeGreaterThanOrEqual(10);
    expect(metrics.filter((m) => m.server !== 'replica')).toEqual([]);

    // And the replica is what served them: while its replay is paused, another store's append
    // is not seen yet (staleness: other writers' appends show once replayed).
    await servers.pauseReplay();
    try {
      await writer.append(envelope(20, { sessionId: 'chat-a' }));
      expect(await toArray(reader.stream('chat-a'))).toEqual(onPrimary.streams[0]);
      expect(await reader.getSession('chat-a')).toEqual(onPrimary.sessions[0]);
    } finally {
      await servers.resumeReplay();
    }
    await servers.waitForReplay();
    expect(seqsOf(await toArray(reader.stream('chat-a')))).toEqual([1, 2, 3, 4, 5, 7]);
    expect(metrics.filter((m) => m.server !== 'replica')).toEqual([]);
  });

  it('reads its own writes: a read after an append waits for the replica to replay it, then reads the replica', async () => {
    const { pool, name } = namedReplicaPool();
    const store = await withReplica({ pool, maxWaitMs: 600_000 });
    await servers.pauseReplay();
    let resumed = false;
    try {
      const since = await replicaNow();
      await store.append(envelope(1, { sessionId: 's' }));
      const reading = Promise.all([
        toArray(store.stream('s')),
        store.getSession('s'),
        toArray(store.listSessions()),
        toArray(store.feed()),
      ]);
      // Nothing to read yet: the reads wait, polling the replica's replay position.
      await untilPolling(name, since);
      await servers.resumeReplay();
      resumed = true;
      const [stream, session, sessions, feed] = await reading;
      expect(stream.map((r) => r.envelope)).toEqual([envelope(1, { sessionId: 's' })]);
      expect(session).toMatchObject({ sessionId: 's', lastSeq: 1, eventCount: 1 });
      expect(sessions.map((s) => s.sessionId)).toEqual(['s']);
      expect(feed.map((e) => e.record)).toEqual(stream);
    } finally {
      if (!resumed) await servers.resumeReplay();
    }
    // (The feed reads twice: its page, then an empty one: caught up.)
    expect([...new Set(servedBy())].sort()).toEqual([
      'feed:replica',
      'getSession:replica',
      'listSessions:replica',
      'stream:replica',
    ]);

    // Append, then read at once, again and again: every append is there, from the replica.
    metrics.length = 0;
    for (let i = 2; i <= 21; i++) {
      await store.append(envelope(i, { sessionId: 's' }));
      expect(seqsOf(await toArray(store.stream('s', { after: i - 2 })))).toEqual([i - 1, i]);
      expect((await store.getSession('s'))?.lastSeq).toBe(i);
    }
    await store.deleteSession('s');
    expect(await store.getSession('s')).toBeNull();
    expect(await toArray(store.stream('s'))).toEqual([]);
    expect(metrics.filter((m) => m.server !== 'replica')).toEqual([]);
    expect(metrics).toHaveLength(42);
  });

  it('reads the primary when the replica has not replayed a write of the store within maxWaitMs (appends, deletes, purges)', async () => {
    const store = await withReplica({ maxWaitMs: 50 });
    await store.appendMany([
      envelope(1, { sessionId: 'gone' }),
      envelope(2, { sessionId: 's', ttlMs: 1 }), // expired at once: seq 1 is never streamed
      envelope(3, { sessionId: 's' }),
    ]);
    /** Runs `writeThenRead` with the replica's replay paused; then lets it catch up. */
    const whilePaused = async (writeThenRead: () => Promise<void>) => {
      await servers.pauseReplay();
      try {
        await writeThenRead();
      } finally {
        await servers.resumeReplay();
      }
      await servers.waitForReplay();
      // Caught up: back to the replica.
      metrics.length = 0;
      await store.getSession('s');
      expect(servedBy()).toEqual(['getSession:replica']);
      metrics.length = 0;
    };
    // Read once: the store's next reads go straight to the replica unless it writes.
    expect(await store.getSession('s')).toMatchObject({ lastSeq: 2, eventCount: 2 });
    metrics.length = 0;

    // The paused replica can never catch up: each read falls back, and sees the write.
    await whilePaused(async () => {
      await store.append(envelope(4, { sessionId: 's' }));
      expect(seqsOf(await toArray(store.stream('s')))).toEqual([2, 3]);
      expect(await store.getSession('s')).toMatchObject({ lastSeq: 3, eventCount: 3 });
      expect((await toArray(store.listSessions())).map((s) => s.sessionId)).toEqual(['gone', 's']);
      expect((await toArray(store.feed())).map((e) => e.record.id)).toEqual([
        'evt-1',
        'evt-3',
        'evt-4',
      ]);
      // (The feed reads twice: its page, then an empty one: caught up.)
      expect(servedBy()).toEqual([
        'stream:primary:lag',
        'getSession:primary:lag',
        'listSessions:primary:lag',
        'feed:primary:lag',
        'feed:primary:lag',
      ]);
    });
    await whilePaused(async () => {
      await store.deleteSession('gone');
      expect(await store.getSession('gone')).toBeNull();
      expect(servedBy()).toEqual(['getSession:primary:lag']);
    });
    await whilePaused(async () => {
      expect(await store.purgeExpired()).toMatchObject({ deletedEvents: 1 });
      expect(await store.getSession('s')).toMatchObject({ lastSeq: 3, eventCount: 2 });
      expect(servedBy()).toEqual(['getSession:primary:lag']);
    });
  });

  it('reads the primary when the replica fails (a stream mid-way included), and the replica again once it is back', async () => {
    const writer = await open();
    await writer.appendMany(envelopes(10, { sessionId: 's' }));
    await servers.waitForReplay();
    // One store per read, each having read from the replica once: its next read goes straight
    // there and meets the error itself (after an error, a store leaves the replica alone).
    const [streaming, sessions, feeding, listing] = await Promise.all(
      [1, 2, 3, 4].map(() => withReplica({}, { pageSize: 2 })),
    );
    for (const store of [sessions!, feeding!, listing!]) {
      expect(await store.getSession('s')).toMatchObject({ lastSeq: 10 });
    }
    const records = streaming!.stream('s')[Symbol.asyncIterator]();
    const first = await records.next();
    expect(metrics.filter((m) => m.server !== 'replica')).toEqual([]);
    metrics.length = 0;
    await servers.stopReplica();
    try {
      const all = [first.value];
      for (let r = await records.next(); !r.done; r = await records.next()) all.push(r.value);
      // Pages 1 (and perhaps 2) from the replica, the rest from the primary: each once.
      expect(seqsOf(all)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await sessions!.getSession('s')).toMatchObject({ lastSeq: 10, eventCount: 10 });
      expect(await toArray(feeding!.feed())).toEqual(await toArray(writer.feed()));
      expect((await toArray(listing!.listSessions())).map((s) => s.sessionId)).toEqual(['s']);
      for (const operation of ['stream', 'getSession', 'feed', 'listSessions']) {
        expect(servedBy()).toContain(`${operation}:primary:error`);
      }
      // Past the errors, the primary served every read.
      expect(servedBy().filter((m) => !/:replica$|:primary:(error|unavailable)$/.test(m))).toEqual(
        [],
      );
    } finally {
      await servers.startReplica();
    }
    // Left alone for a while after the error, then read again.
    await until(async () => {
      metrics.length = 0;
      expect(await sessions!.getSession('s')).toMatchObject({ lastSeq: 10 });
      return metrics[0]?.server === 'replica';
    }, 'reads going to the replica again');
  });

  it('runs a read again on the primary when its query fails on the replica', async () => {
    const writer = await open();
    await writer.appendMany(envelopes(3, { sessionId: 's' }));
    const { pool, name } = namedReplicaPool();
    const store = await withReplica({ pool });
    expect(await store.getSession('s')).toMatchObject({ lastSeq: 3 });
    // The primary locks the table; the standby replays the lock, so the next replica read
    // waits for it, and is cancelled there.
    const locker = new pg.Client({ connectionString: servers.primaryUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".sessions IN ACCESS EXCLUSIVE MODE`);
      // A commit flushes the WAL, the lock's record with it (else up to the WAL writer).
      await queryOn(servers.primaryUrl, 'SELECT pg_current_xact_id()');
      await servers.waitForReplay();
      metrics.length = 0;
      const reading = store.getSession('s');
      let pid: number | undefined;
      await until(async () => {
        [{ pid } = { pid: undefined }] = await queryOn<{ pid: number }>(
          servers.replicaUrl,
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [name],
        );
        return pid !== undefined;
      }, 'the replica read waiting for the replayed lock');
      await queryOn(servers.replicaUrl, 'SELECT pg_cancel_backend($1)', [pid]);
      await locker.query('ROLLBACK');
      expect(await reading).toMatchObject({ lastSeq: 3 });
    } finally {
      await locker.end();
    }
    expect(servedBy()).toEqual(['getSession:replica', 'getSession:primary:error']);
    expect(metrics[1]?.error).toMatchObject({ code: '57014' }); // query_canceled
  });

  it('feed on the standby: its horizon moves as it replays; held back longer than maxWaitMs, the page is read on the primary', async () => {
    const writer = await open();
    const reader = await withReplica({ maxWaitMs: 200 });
    const older = new pg.Client({ connectionString: servers.primaryUrl });
    await older.connect();
    try {
      await older.query('BEGIN');
      await older.query('SELECT pg_current_xact_id()'); // an older transaction id, still running ...
      await writer.append(envelope(1, { sessionId: 's' })); // ... below this commit
      await servers.waitForReplay();
      // The standby knows the older transaction as running: the feed holds the commit back there.
      expect(await reader.getSession('s')).toMatchObject({ lastSeq: 1 });
      await servers.pauseReplay();
      await older.query('COMMIT'); // the primary's horizon moves; the paused standby's cannot
    } finally {
      await older.end();
    }
    try {
      const onPrimary = await toArray(writer.feed());
      expect(onPrimary.map((e) => e.record.id)).toEqual(['evt-1']);
      metrics.length = 0;
      expect(await toArray(reader.feed())).toEqual(onPrimary);
      expect(servedBy()).toEqual(['feed:replica', 'feed:primary:lag', 'feed:replica']);
    } finally {
      await servers.resumeReplay();
    }
    await servers.waitForReplay();
    metrics.length = 0;
    expect(await toArray(reader.feed())).toEqual(await toArray(writer.feed()));
    expect(metrics.filter((m) => m.server !== 'replica')).toEqual([]);
  });

  it("sees other stores' appends once replayed; with consistency 'strong', waits for every commit on the primary", async () => {
    const writer = await open();
    const reader = await withReplica();
    const { pool, name } = namedReplicaPool();
    const strong = await withReplica({ pool, consistency: 'strong', maxWaitMs: 600_000 });
    // Both have read once: the reader's next reads go straight to the replica.
    expect(await reader.getSession('s')).toBeNull();
    expect(await strong.getSession('s')).toBeNull();
    await servers.pauseReplay();
    let resumed = false;
    try {
      const since = await replicaNow();
      await writer.append(envelope(1, { sessionId: 's' }));
      // Not this store's write: the replica serves what it has replayed.
      expect(await reader.getSession('s')).toBeNull();
      const strongRead = strong.getSession('s');
      await untilPolling(name, since);
      await servers.resumeReplay();
      resumed = true;
      expect(await strongRead).toMatchObject({ lastSeq: 1 });
    } finally {
      if (!resumed) await servers.resumeReplay();
    }
    await servers.waitForReplay();
    expect(await reader.getSession('s')).toMatchObject({ lastSeq: 1 });
    expect(seqsOf(await toArray(reader.stream('s')))).toEqual([1]);
    expect(metrics.filter((m) => m.server !== 'replica')).toEqual([]);
  });

  it("wakes followers reading the replica on another store's NOTIFY, after the replica replayed that commit", async () => {
    const writer = await open();
    const { pool, name } = namedReplicaPool();
    // Only a wake-up can deliver: nothing polls within the test's time.
    const follower = await withReplica({ pool, maxWaitMs: 600_000 }, { followPollMs: 600_000 });
    const controller = new AbortController();
    const streamed: number[] = [];
    const fed: string[] = [];
    const following = Promise.all([
      (async () => {
        for await (const r of follower.stream('s', { follow: true, signal: controller.signal })) {
          streamed.push(r.seq);
          if (streamed.length === 2) break;
        }
      })(),
      (async () => {
        for await (const e of follower.feed({ follow: true, signal: controller.signal })) {
          fed.push(e.record.id);
          if (fed.length === 2) break;
        }
      })(),
    ]);
    try {
      // The follower's store listens (holding the channel's lock) before anything is appended.
      await until(
        async () =>
          (
            await queryOn(
              servers.primaryUrl,
              `SELECT 1 FROM pg_stat_activity WHERE application_name = 'history-store-listener'
                 AND query LIKE '%pg_advisory_lock_shared%' AND state = 'idle'`,
            )
          ).length > 0,
        'the follower listening',
      );
      await servers.pauseReplay();
      let resumed = false;
      try {
        const since = await replicaNow();
        await writer.appendMany(envelopes(2, { sessionId: 's' }));
        // Woken, the followers wait for the replica to replay the commit they were told of.
        await untilPolling(name, since);
        expect(streamed).toEqual([]);
        await servers.resumeReplay();
        resumed = true;
        await following;
      } finally {
        if (!resumed) await servers.resumeReplay();
      }
    } finally {
      controller.abort();
      await following;
    }
    expect(streamed).toEqual([1, 2]);
    expect(fed).toEqual(['evt-1', 'evt-2']);
    expect(metrics.filter((m) => m.server !== 'replica')).toEqual([]);
  });
});

// The conformance suite with every read the replica may serve going to it: with the default
// rule (one store's own writes; a store following another's appends is woken by its NOTIFY),
// and with 'strong'.
for (const consistency of ['own-writes', 'strong'] as const) {
  describe(`conformance, reads from the replica (${consistency})`, () => {
    runHistoryStoreContract({
      name: 'postgres',
      capabilities: { persistent: true, sharedStorage: true },
      async setup() {
        const schema = freshSchemaName('contract_replica');
        return {
          open: (overrides) =>
            createPostgresHistoryStore({
              connectionString: servers.primaryUrl,
              schema,
              poolSize: 2,
              replica: { connectionString: servers.replicaUrl, consistency, poolSize: 2 },
              ...overrides,
            }),
          cleanup: () => dropSchema(servers.primaryUrl, schema),
        };
      },
    });
  });
}
