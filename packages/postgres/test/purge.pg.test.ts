import { envelope } from '@history/contract-tests';
import { type PreparedEnvelope, prepareEnvelope } from '@history/core/backend';
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresBackend } from '../src/postgres-backend.js';
import { quoteIdentifier } from '../src/schema-name.js';
import { pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema } from './store-fixture.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2030, 0, 1);

/** Event `i` of `sessionId`, occurred `ageMs` before NOW, with `ttlMs` if given. */
const prepared = (sessionId: string, i: number, ageMs: number, ttlMs?: number) =>
  prepareEnvelope(
    envelope(i, {
      id: `${sessionId}-${i}`,
      sessionId,
      occurredAt: new Date(NOW - ageMs).toISOString(),
      ...(ttlMs === undefined ? {} : { ttlMs }),
    }),
    { maxEnvelopeBytes: 1 << 20, defaultSessionId: 'default' },
  );

for (const target of pgTargets()) {
  for (const partitions of [0, 4]) {
    describe(`purgeExpired chunks (partitions ${partitions}, ${target.name})`, () => {
      let fixture: Awaited<ReturnType<typeof migratedSchema>>;
      let pool: pg.Pool;
      let backend: PostgresBackend;
      beforeEach(async () => {
        fixture = await migratedSchema(target.url, 'purge', partitions);
        pool = testPool(target.url, 2);
        backend = new PostgresBackend({
          pool,
          ownsPool: false,
          schema: fixture.schema,
          copyThreshold: Number.POSITIVE_INFINITY,
          pageSize: 1000,
          pageBytes: 1 << 22,
          notify: false,
        });
      });
      afterEach(async () => {
        await pool.end();
        await fixture.drop();
      });

      const write = (records: PreparedEnvelope[]) => backend.writeBatch(records);
      const count = async () => {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM ${quoteIdentifier(fixture.schema)}.events`,
        );
        return rows[0].n as number;
      };

      it('removes at most limit expired events per chunk, keeps lastSeq, then reports done', async () => {
        // 25 expired (ttl 1 hour, 2 hours old) over three sessions, and live ones beside them.
        for (const s of ['a', 'b', 'c']) {
          await write(Array.from({ length: 10 }, (_, k) => prepared(s, k + 1, 2 * HOUR, HOUR)));
          await write([prepared(s, 11, 0, HOUR), prepared(s, 12, 2 * HOUR)]);
        }
        await pool.query(
          `DELETE FROM ${quoteIdentifier(fixture.schema)}.events WHERE session_id = 'c' AND seq > 5 AND seq <= 10`,
        );
        const chunks = [];
        for (;;) {
          const chunk = await backend.purgeExpired({ now: NOW, limit: 10 });
          chunks.push(chunk);
          if (chunk.done) break;
        }
        expect(chunks.map((c) => c.deletedEvents)).toEqual([10, 10, 5]);
        expect(chunks.map((c) => c.done)).toEqual([false, false, true]);
        expect(chunks.every((c) => c.sessions >= 1 && c.sessions <= 3)).toBe(true);
        expect(await count()).toBe(6);
        for (const s of ['a', 'b']) {
          expect(await backend.getSession(s)).toMatchObject({ lastSeq: 12, eventCount: 2 });
        }
        // The purged ids are forgotten: appended again they are new events, after lastSeq.
        const [again] = await write([prepared('a', 1, 0)]);
        expect(again).toMatchObject({ seq: 13, duplicate: false });
        expect(await backend.purgeExpired({ now: NOW, limit: 10 })).toEqual({
          deletedEvents: 0,
          sessions: 0,
          done: true,
        });
      });

      it('deletes at most 100 events per chunk however many core asks for, and goes on in the next', async () => {
        await write(Array.from({ length: 250 }, (_, k) => prepared('big', k + 1, 2 * HOUR, HOUR)));
        const chunks = [];
        for (;;) {
          const chunk = await backend.purgeExpired({ now: NOW, limit: 1000 });
          chunks.push(chunk);
          if (chunk.done) break;
        }
        expect(chunks.map((c) => [c.deletedEvents, c.done])).toEqual([
          [100, false],
          [100, false],
          [50, true],
        ]);
        expect(await count()).toBe(0);
        expect(await backend.getSession('big')).toMatchObject({ lastSeq: 250, eventCount: 0 });
      });

      it('maxAgeMs by occurredAt and maxEventsPerSession (newest kept), also in chunks', async () => {
        await write(Array.from({ length: 8 }, (_, k) => prepared('old', k + 1, (10 - k) * HOUR)));
        await write(Array.from({ length: 6 }, (_, k) => prepared('long', k + 1, 0)));
        // maxAgeMs 5 hours: old-1..old-6 are 10..5 hours old.
        const byAge = await backend.purgeExpired({ now: NOW, limit: 4, maxAgeMs: 5 * HOUR });
        expect(byAge).toEqual({ deletedEvents: 4, sessions: 1, done: false });
        expect(await backend.purgeExpired({ now: NOW, limit: 4, maxAgeMs: 5 * HOUR })).toEqual({
          deletedEvents: 2,
          sessions: 1,
          done: true,
        });
        // 'mixed': 10 events, the newest 2 expired: the 2 kept are the newest 2 of the others.
        await write([
          ...Array.from({ length: 8 }, (_, k) => prepared('mixed', k + 1, 0)),
          prepared('mixed', 9, 2 * HOUR, HOUR),
          prepared('mixed', 10, 2 * HOUR, HOUR),
        ]);
        const byCount = await backend.purgeExpired({
          now: NOW,
          limit: 100,
          maxEventsPerSession: 2,
        });
        expect(byCount).toEqual({ deletedEvents: 4 + 8, sessions: 2, done: true });
        const seqs = async (s: string) => {
          const out = [];
          for await (const page of backend.readPages(s, { direction: 'forward' }))
            out.push(...page.map((r) => r.seq));
          return out;
        };
        expect(await seqs('old')).toEqual([7, 8]);
        expect(await seqs('long')).toEqual([5, 6]);
        expect(await backend.getSession('long')).toMatchObject({ lastSeq: 6, eventCount: 2 });
        expect(await seqs('mixed')).toEqual([7, 8]);
        expect(await backend.getSession('mixed')).toMatchObject({ lastSeq: 10, eventCount: 2 });
      });

      it('an expired row is skipped by reads at once, before any purge; limit counts live rows', async () => {
        const at = (ttlMs?: number) =>
          prepareEnvelope(
            envelope(0, {
              occurredAt: new Date(Date.now() - 2 * HOUR).toISOString(),
              ...(ttlMs === undefined ? {} : { ttlMs }),
            }),
            { maxEnvelopeBytes: 1 << 20, defaultSessionId: 'default' },
          );
        await write([
          { ...at(HOUR), id: 's-1', sessionId: 's' },
          { ...at(), id: 's-2', sessionId: 's' },
          { ...at(100 * HOUR), id: 's-3', sessionId: 's' },
        ]);
        const ids = [];
        for await (const page of backend.readPages('s', { direction: 'forward', limit: 1 }))
          ids.push(...page.map((r) => r.id));
        expect(ids).toEqual(['s-2']);
        expect(await backend.getSession('s')).toMatchObject({ lastSeq: 3, eventCount: 3 });
      });
    });
  }
}
