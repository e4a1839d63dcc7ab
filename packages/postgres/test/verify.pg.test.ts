import { envelope, envelopes } from '@history/contract-tests';
import {
  type IntegrityReport,
  InvalidArgumentError,
  SchemaVersionError,
  StorageError,
} from '@history/core';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPostgresHistoryStore, verifyPostgresStore } from '../src/index.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { freshSchemaName, pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema } from './store-fixture.js';

/** Expired since 2020: occurred then, lived a second. */
const EXPIRED = { occurredAt: '2020-01-01T00:00:00.000Z', ttlMs: 1000 };

/**
 * A store that went through what a healthy store does: single and bulk appends, deletes
 * (one recreated), expired events purged, the retention cap purging a session's oldest
 * events, checkpoints (one of a session without events). 550 + 5 + 4 + 230 + 1 = 790 events
 * in 5 sessions.
 */
async function healthyStore(url: string, schema: string): Promise<void> {
  const store = await createPostgresHistoryStore({
    connectionString: url,
    schema,
    poolSize: 2,
    retention: { maxEventsPerSession: 550, intervalMs: 3_600_000 },
  });
  try {
    await store.appendMany(envelopes(600, { sessionId: 'long' }));
    for (let i = 1; i <= 5; i++) await store.append(envelope(i, { sessionId: 'single' }));
    await store.appendMany(envelopes(5, { sessionId: 'gone' }));
    await store.checkpoint('gone', { at: 5 }, { seq: 5 });
    await store.deleteSession('gone');
    await store.appendMany(envelopes(3, { sessionId: 'again' }));
    await store.deleteSession('again');
    await store.appendMany(envelopes(4, { sessionId: 'again' }, 10));
    await store.appendMany([
      ...envelopes(300, { sessionId: 'purged', ...EXPIRED }),
      ...envelopes(200, { sessionId: 'purged' }, 301),
    ]);
    for (;;) if ((await store.purgeExpired()).done) break;
    await store.appendMany(envelopes(30, { sessionId: 'purged' }, 501));
    await store.append(envelope(1, { sessionId: 'ttl', ttlMs: 10 * 365 * 86_400_000 }));
    await store.checkpoint('long', { position: 'x' }, { seq: 600 });
    await store.checkpoint('no-events', { only: 'a checkpoint' });
  } finally {
    await store.close();
  }
}

const sorted = (report: IntegrityReport) =>
  [...report.problems].sort(
    (a, b) =>
      (a.sessionId ?? '').localeCompare(b.sessionId ?? '') || a.location.localeCompare(b.location),
  );

for (const target of pgTargets()) {
  for (const partitions of [0, 4]) {
    describe(`verifyPostgresStore (${target.name}, partitions ${partitions})`, () => {
      let fixture: Awaited<ReturnType<typeof migratedSchema>>;
      let pool: pg.Pool;
      let s: string;
      beforeEach(async () => {
        fixture = await migratedSchema(target.url, 'verify', partitions);
        s = quoteIdentifier(fixture.schema);
        pool = testPool(target.url, 2);
      });
      afterEach(async () => {
        await pool.end();
        await fixture.drop();
      });
      const verify = (options: object = {}) =>
        verifyPostgresStore({ connectionString: target.url, schema: fixture.schema, ...options });
      const rowCounts = async () => {
        const counts: Record<string, number> = {};
        for (const table of ['sessions', 'events', 'checkpoints', 'schema_migrations']) {
          const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${s}.${table}`);
          counts[table] = rows[0].n;
        }
        return counts;
      };

      it('reports nothing on a healthy store, reads only, and works beside a writing store', async () => {
        await healthyStore(target.url, fixture.schema);
        const before = await rowCounts();
        const report = await verify();
        expect(report.problems).toEqual([]);
        expect(report).toMatchObject({ sessions: 5, events: 790 });
        expect(await rowCounts()).toEqual(before);

        // A store writing on the same pool while a verification runs in its own snapshot.
        const store = await createPostgresHistoryStore({ pool, schema: fixture.schema });
        try {
          await store.appendMany(envelopes(300, { sessionId: 'open' }));
          const running = verifyPostgresStore({ pool, schema: fixture.schema });
          await store.append(envelope(301, { sessionId: 'open' }));
          const during = await running;
          expect(during.problems).toEqual([]);
          expect([790 + 300, 790 + 301]).toContain(during.events);
        } finally {
          await store.close();
        }
        // The caller's pool is not ended.
        expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
        expect((await verify()).events).toBe(790 + 301);
      });

      it('detects a missing feed index entry and a seq gap planted by SQL', async () => {
        await healthyStore(target.url, fixture.schema);
        await pool.query(`DELETE FROM ${s}.events WHERE session_id = 'single' AND seq = 3`);
        await pool.query(`UPDATE ${s}.events SET tx = NULL WHERE session_id = 'long' AND seq = 70`);
        const report = await verify();
        expect(sorted(report)).toEqual([
          {
            kind: 'index-mismatch',
            sessionId: 'long',
            seq: 70,
            location: `${s}.events ("long", 70)`,
            message: expect.stringMatching(
              /^the row has no feed position \(tx NULL, pos \d+\): the feed never yields it$/,
            ),
          },
          {
            kind: 'seq-gap',
            sessionId: 'single',
            location: `${s}.sessions ("single")`,
            message:
              'event_count is 5, 4 events are stored: 1 missing that no purge or delete accounts for',
          },
        ]);
      });

      it('what and where: envelopes, duplicates, feed order, summaries, rows without a session', async () => {
        await healthyStore(target.url, fixture.schema);
        const q = (sql: string) => pool.query(sql);
        await q(
          `UPDATE ${s}.events SET envelope = '{"id":' WHERE session_id = 'single' AND seq = 1`,
        );
        await q(
          `UPDATE ${s}.events SET occurred_at = occurred_at + interval '1 millisecond' WHERE session_id = 'single' AND seq = 2`,
        );
        // An id stored twice needs the unique constraint gone.
        await q(`ALTER TABLE ${s}.events DROP CONSTRAINT events_session_id_id_key`);
        await q(
          `INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope, tx, pos)
           SELECT e.session_id, 6, e.id, e.occurred_at, e.envelope, last.tx, last.pos + 1000000
           FROM ${s}.events e, ${s}.events last
           WHERE e.session_id = 'single' AND e.seq = 4 AND last.session_id = 'single' AND last.seq = 5`,
        );
        await q(
          `UPDATE ${s}.sessions SET last_seq = 6, event_count = 6 WHERE session_id = 'single'`,
        );
        // long's seq 100 moves after seq 101 in the feed; its last_seq falls behind seq 600.
        await q(
          `UPDATE ${s}.events SET pos = pos + 1000000 WHERE session_id = 'long' AND seq = 100`,
        );
        await q(`UPDATE ${s}.sessions SET last_seq = 599 WHERE session_id = 'long'`);
        // ttl: deleted, but its event is there; purged: a count its events do not reach.
        await q(`UPDATE ${s}.sessions SET deleted_at = now() WHERE session_id = 'ttl'`);
        await q(`UPDATE ${s}.sessions SET event_count = 2000 WHERE session_id = 'purged'`);
        // Events of a session that has no sessions row.
        await q(
          `INSERT INTO ${s}.events (session_id, seq, id, occurred_at, envelope)
           SELECT 'nobody', 1, id, occurred_at, replace(envelope, '"again"', '"nobody"')
           FROM ${s}.events WHERE session_id = 'again' AND seq = 4`,
        );
        const report = await verify();
        expect(sorted(report)).toEqual([
          {
            kind: 'seq-order',
            sessionId: 'long',
            seq: 101,
            location: `${s}.events ("long", 101)`,
            message: expect.stringMatching(
              /^feed position \d+\.\d+ is not after the previous seq's/,
            ),
          },
          {
            kind: 'metadata-mismatch',
            sessionId: 'long',
            seq: 600,
            location: `${s}.events ("long", 600)`,
            message:
              "seq 600 is past the session's last_seq 599: an append would hand it out again",
          },
          {
            kind: 'metadata-mismatch',
            sessionId: 'nobody',
            location: `${s}.sessions ("nobody")`,
            message: 'events are stored for a session that has no sessions row',
          },
          {
            kind: 'seq-gap',
            sessionId: 'purged',
            location: `${s}.sessions ("purged")`,
            message:
              'event_count is 2000, 230 events are stored: 1770 missing that no purge or delete accounts for',
          },
          {
            kind: 'invalid-json',
            sessionId: 'single',
            seq: 1,
            location: `${s}.events ("single", 1)`,
            message: expect.stringMatching(/^the envelope does not parse as JSON/),
          },
          {
            kind: 'invalid-json',
            sessionId: 'single',
            seq: 2,
            location: `${s}.events ("single", 2)`,
            message: expect.stringMatching(/^occurred_at \(.*\) is not the envelope's occurredAt$/),
          },
          {
            kind: 'duplicate',
            sessionId: 'single',
            seq: 6,
            location: `${s}.events ("single", 6)`,
            message: 'event id "evt-4" is stored again (first at seq 4)',
          },
          {
            kind: 'metadata-mismatch',
            sessionId: 'ttl',
            location: `${s}.sessions ("ttl")`,
            message: '1 events are stored, but the session is deleted (deleted_at is set)',
          },
        ]);
      });

      it('progress every 10,000 events, maxProblems, abort with the reason', async () => {
        const store = await createPostgresHistoryStore({ pool, schema: fixture.schema });
        await store.appendMany(envelopes(25_000, { sessionId: 'big' }));
        await store.close();
        const progress: number[] = [];
        const report = await verify({ onProgress: (n: number) => progress.push(n) });
        expect(report).toEqual({ sessions: 1, events: 25_000, problems: [] });
        expect(progress).toEqual([10_000, 20_000, 25_000]);

        await pool.query(`UPDATE ${s}.events SET envelope = '{' WHERE seq <= 5`);
        const capped = await verify({ maxProblems: 2 });
        expect(capped.problems.map((p) => p.kind)).toEqual(['invalid-json', 'invalid-json']);
        expect(capped.events).toBe(25_000);

        const reason = new Error('stop');
        const controller = new AbortController();
        const stopped = verify({
          signal: controller.signal,
          onProgress: () => controller.abort(reason),
        });
        await expect(stopped).rejects.toBe(reason);
        await expect(verify({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      });

      it('rejects a schema without a store or of another version', async () => {
        const none = freshSchemaName('none');
        const error = await verifyPostgresStore({
          connectionString: target.url,
          schema: none,
        }).catch((e) => e);
        expect(StorageError.isInstance(error)).toBe(true);
        expect((error as Error).message).toMatch(/holds no history store/);
        await pool.query(`DELETE FROM ${s}.schema_migrations WHERE version = 4`);
        expect(String(await verify().catch((e) => e))).toMatch(/is at version 3; run migrate\(\)/);
        await pool.query(
          `INSERT INTO ${s}.schema_migrations (version, name) VALUES (4, 'feed'), (99, 'future')`,
        );
        expect(SchemaVersionError.isInstance(await verify().catch((e) => e))).toBe(true);
      });
    });
  }
}

describe('verifyPostgresStore: options', () => {
  it('refuses bad options naming the field, and an unreachable server with StorageError', async () => {
    const field = async (options: unknown) => {
      const error = await verifyPostgresStore(options as { connectionString: string }).catch(
        (e) => e,
      );
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      return (error as InvalidArgumentError).field;
    };
    const url = 'postgres://postgres@127.0.0.1:1/none';
    expect(await field(undefined)).toBe('options');
    expect(await field({})).toBe('options.connectionString');
    expect(await field({ connectionString: url, pool: {} })).toBe('options');
    expect(await field({ pool: {} })).toBe('options.pool');
    expect(await field({ connectionString: url, schema: '' })).toBe('options.schema');
    expect(await field({ connectionString: url, maxProblems: 0 })).toBe('options.maxProblems');
    expect(await field({ connectionString: url, poolSize: 2 })).toBe('options.poolSize');
    const error = await verifyPostgresStore({ connectionString: url }).catch((e) => e);
    expect(StorageError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/^postgres: cannot verify schema "history": /);
  });
});
