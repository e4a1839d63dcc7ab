import { HistoryError, type PurgeMetrics } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { envelope, type Harness, ids, seqs } from '../harness.js';

const HOUR = 3_600_000;
/** Expired long ago: `envelope(i)` occurred in 2025. */
const expired = (i: number, sessionId = 's1') => envelope(i, { sessionId, ttlMs: 1000 });
/** Expires in the year 2100 or later. */
const lasting = (i: number, sessionId = 's1') =>
  envelope(i, { sessionId, ttlMs: 100 * 365 * 24 * HOUR });

/** ttlMs expiry, purgeExpired and the retention option. */
export function retentionSuite(subject: ContractSubject, h: Harness): void {
  describe('retention: expiry and purges', () => {
    it('never streams an expired event, whatever the range', async () => {
      const store = await h.open();
      // seq:      1           2           3           4           5           6
      await store.appendMany([
        expired(1),
        lasting(2),
        envelope(3),
        expired(4),
        envelope(5),
        expired(6),
      ]);
      expect(await ids(() => store.stream('s1'))).toEqual(['evt-2', 'evt-3', 'evt-5']);
      expect(await seqs(() => store.stream('s1', { direction: 'backward' }))).toEqual([5, 3, 2]);
      expect(await seqs(() => store.stream('s1', { limit: 2 }))).toEqual([2, 3]);
      expect(await seqs(() => store.stream('s1', { after: 3, limit: 1 }))).toEqual([5]);
      expect(
        await seqs(() => store.stream('s1', { direction: 'backward', after: 5, limit: 1 })),
      ).toEqual([3]);
      const to = envelope(4).occurredAt;
      expect(await seqs(() => store.stream('s1', { to }))).toEqual([2, 3]);
    });

    it('expired events count until purged; purging keeps the last seq', async () => {
      const store = await h.open();
      await store.appendMany([expired(1), envelope(2), expired(3), expired(4)]);
      await store.appendMany([
        expired(5, 's2'),
        lasting(6, 's2'),
        envelope(7, { sessionId: 's3' }),
      ]);
      expect(await store.getSession('s1')).toMatchObject({ lastSeq: 4, eventCount: 4 });
      const before = await store.getSession('s1');
      await expect(store.purgeExpired()).resolves.toEqual({
        deletedEvents: 4,
        sessions: 2,
        done: true,
      });
      expect(await store.getSession('s1')).toEqual({ ...before, eventCount: 1 });
      expect(await store.getSession('s2')).toMatchObject({ lastSeq: 2, eventCount: 1 });
      expect(await seqs(() => store.stream('s1'))).toEqual([2]);
      // Nothing left: a second purge removes nothing.
      await expect(store.purgeExpired()).resolves.toEqual({
        deletedEvents: 0,
        sessions: 0,
        done: true,
      });
      await expect(store.append(envelope(8))).resolves.toMatchObject({ seq: 5 });
    });

    it('a session whose events all expired and were purged still exists, empty', async () => {
      const store = await h.open();
      await store.appendMany([expired(1), expired(2)]);
      await store.purgeExpired();
      expect(await store.getSession('s1')).toMatchObject({ lastSeq: 2, eventCount: 0 });
      const listed: string[] = [];
      for await (const s of store.listSessions()) listed.push(s.sessionId);
      expect(listed).toEqual(['s1']);
      await expect(store.append(envelope(3))).resolves.toMatchObject({ seq: 3 });
    });

    it('limit bounds a purge; the next one removes the rest', async () => {
      const store = await h.open();
      await store.appendMany(Array.from({ length: 5 }, (_, k) => expired(k + 1)));
      const first = await store.purgeExpired({ limit: 2 });
      expect(first).toMatchObject({ deletedEvents: 2, done: false });
      expect(await store.getSession('s1')).toMatchObject({ eventCount: 3 });
      await expect(store.purgeExpired({ limit: 0 })).resolves.toMatchObject({ deletedEvents: 0 });
      const rest = await store.purgeExpired();
      expect(rest).toMatchObject({ deletedEvents: 3, done: true });
      expect(await store.getSession('s1')).toMatchObject({ eventCount: 0, lastSeq: 5 });
    });

    it('purges in chunks: thousands of expired events across sessions', async () => {
      const store = await h.open();
      const batch = Array.from({ length: 2_500 }, (_, k) => expired(k + 1, `s${k % 5}`));
      await store.appendMany(batch.slice(0, 1000));
      await store.appendMany(batch.slice(1000, 2000));
      await store.appendMany(batch.slice(2000));
      await store.appendMany([envelope(9_999, { sessionId: 's0' })]);
      await expect(store.purgeExpired()).resolves.toMatchObject({
        deletedEvents: 2_500,
        done: true,
      });
      expect(await ids(() => store.stream('s0'))).toEqual(['evt-9999']);
      expect(await store.getSession('s0')).toMatchObject({ eventCount: 1, lastSeq: 501 });
    });

    it('an id purged and appended again is a new event', async () => {
      const store = await h.open();
      await store.appendMany([expired(1), envelope(2)]);
      await store.purgeExpired();
      await expect(store.append(envelope(1))).resolves.toMatchObject({ seq: 3, duplicate: false });
      expect(await seqs(() => store.stream('s1'))).toEqual([2, 3]);
    });

    it('retention.maxEventsPerSession keeps the newest events of each session', async () => {
      const store = await h.open({ retention: { maxEventsPerSession: 3, intervalMs: 24 * HOUR } });
      await store.appendMany(Array.from({ length: 5 }, (_, k) => envelope(k + 1)));
      await store.appendMany(
        Array.from({ length: 2 }, (_, k) => envelope(k + 10, { sessionId: 's2' })),
      );
      await expect(store.purgeExpired()).resolves.toMatchObject({ deletedEvents: 2, sessions: 1 });
      expect(await seqs(() => store.stream('s1'))).toEqual([3, 4, 5]);
      expect(await seqs(() => store.stream('s2'))).toEqual([1, 2]);
    });

    it('retention.maxAgeMs retires events by occurredAt', async () => {
      const store = await h.open({ retention: { maxAgeMs: 24 * HOUR, intervalMs: 24 * HOUR } });
      const recent = new Date(Date.now() - HOUR).toISOString();
      await store.appendMany([envelope(1), envelope(2, { occurredAt: recent }), envelope(3)]);
      await expect(store.purgeExpired()).resolves.toMatchObject({ deletedEvents: 2 });
      expect(await ids(() => store.stream('s1'))).toEqual(['evt-2']);
    });

    it('the retention timer purges in the background and reports through onMetrics', async () => {
      let reported: (m: PurgeMetrics) => void = () => {};
      const purged = new Promise<PurgeMetrics>((resolve) => {
        reported = resolve;
      });
      const store = await h.open({
        retention: { intervalMs: 10 },
        onMetrics(m) {
          if (m.kind === 'purge' && m.deletedEvents > 0) reported(m);
        },
      });
      await store.appendMany([expired(1), envelope(2), expired(3)]);
      // Waits for the report, however late the timer runs on a loaded machine.
      const metrics = await purged;
      expect(metrics).toMatchObject({ kind: 'purge', ok: true, deletedEvents: 2, done: true });
      expect(await store.getSession('s1')).toMatchObject({ eventCount: 1, lastSeq: 3 });
    });

    it('rejects bad purge options and retention settings, naming the field', async () => {
      const store = await h.open();
      for (const [options, field] of [
        [{ limit: -1 }, 'options.limit'],
        [{ limit: 'all' }, 'options.limit'],
        [{ max: 1 }, 'options.max'],
        ['x', 'options'],
      ] as const) {
        const error = await store.purgeExpired(options as never).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(HistoryError.hasCode(error, 'HISTORY_INVALID_ARGUMENT'), field).toBe(true);
        expect((error as { field: string }).field).toBe(field);
      }
      for (const [retention, field] of [
        [{ intervalMs: 0 }, 'options.retention.intervalMs'],
        [{ maxAgeMs: -5 }, 'options.retention.maxAgeMs'],
        [{ maxEventsPerSession: 0 }, 'options.retention.maxEventsPerSession'],
        [{ every: 5 }, 'options.retention'],
      ] as const) {
        const error = await h.open({ retention: retention as never }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(HistoryError.hasCode(error, 'HISTORY_INVALID_ARGUMENT'), field).toBe(true);
        expect((error as { field: string }).field).toBe(field);
      }
    });

    if (subject.capabilities.persistent) {
      it('purges are durable, and expired events stay hidden after reopening', async () => {
        const store = await h.open();
        await store.appendMany([expired(1), envelope(2), expired(3)]);
        await store.purgeExpired({ limit: 1 });
        await h.close(store);
        const reopened = await h.open();
        expect(await seqs(() => reopened.stream('s1'))).toEqual([2]);
        expect(await reopened.getSession('s1')).toMatchObject({ eventCount: 2, lastSeq: 3 });
        await reopened.purgeExpired();
        await expect(reopened.append(envelope(4))).resolves.toMatchObject({ seq: 4 });
      });
    }
  });
}
