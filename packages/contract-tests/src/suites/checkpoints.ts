import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { envelopes, type Harness, ids } from '../harness.js';

/** One latest checkpoint per session, replaced atomically. */
export function checkpointSuite(_subject: ContractSubject, h: Harness): void {
  describe('checkpoints', () => {
    it('returns null for a session without a checkpoint', async () => {
      const store = await h.open();
      expect(await store.getCheckpoint('s1')).toBeNull();
    });

    it('stores payload and seq and stamps createdAt', async () => {
      const store = await h.open();
      const before = Date.now();
      await store.checkpoint('s1', { summary: 'so far', tokens: 1234 }, { seq: 42 });
      const cp = await store.getCheckpoint('s1');
      expect(cp).toMatchObject({
        sessionId: 's1',
        payload: { summary: 'so far', tokens: 1234 },
        seq: 42,
      });
      const created = Date.parse(cp!.createdAt);
      expect(created).toBeGreaterThanOrEqual(before - 5_000);
      expect(created).toBeLessThanOrEqual(Date.now() + 5_000);
    });

    it('omits seq when none was given', async () => {
      const store = await h.open();
      await store.checkpoint('s1', 'state');
      const cp = await store.getCheckpoint('s1');
      expect(cp?.payload).toBe('state');
      expect(cp?.seq).toBeUndefined();
    });

    it('replaces the previous checkpoint whole', async () => {
      const store = await h.open();
      await store.checkpoint('s1', { v: 1, extra: true }, { seq: 10 });
      await store.checkpoint('s1', { v: 2 });
      const cp = await store.getCheckpoint('s1');
      expect(cp?.payload).toEqual({ v: 2 });
      expect(cp?.seq).toBeUndefined();
    });

    it('keeps checkpoints per session', async () => {
      const store = await h.open();
      await store.checkpoint('a', 'A', { seq: 1 });
      await store.checkpoint('b', 'B', { seq: 2 });
      expect((await store.getCheckpoint('a'))?.payload).toBe('A');
      expect((await store.getCheckpoint('b'))?.seq).toBe(2);
      expect(await store.getCheckpoint('c')).toBeNull();
    });

    it('resumes a consumer with getCheckpoint + stream(after: cp.seq)', async () => {
      const store = await h.open();
      const first = await store.appendMany(envelopes(10));
      await store.checkpoint('s1', { processed: 10 }, { seq: first.at(-1)!.seq });
      await store.appendMany(envelopes(5, {}, 11));
      const cp = await store.getCheckpoint('s1');
      expect(await ids(() => store.stream('s1', { after: cp!.seq! }))).toEqual([
        'evt-11',
        'evt-12',
        'evt-13',
        'evt-14',
        'evt-15',
      ]);
    });

    it('round-trips complex and awkward JSON payloads', async () => {
      const store = await h.open();
      const payload = {
        messages: [{ role: 'user', content: 'NUL\u0000 and 🧠 and \ud83d' }],
        n: [0, -1, 1.5, 1e21],
        empty: {},
        nil: null,
      };
      await store.checkpoint('s1', payload);
      expect((await store.getCheckpoint('s1'))?.payload).toEqual(payload);
      await store.checkpoint('s1', null);
      expect((await store.getCheckpoint('s1'))?.payload).toBeNull();
    });

    it('ends concurrent replacements with exactly one whole payload', async () => {
      const store = await h.open();
      const payloads = Array.from({ length: 20 }, (_, i) => ({
        writer: i,
        body: 'x'.repeat(500 + i),
      }));
      await Promise.all(payloads.map((p, i) => store.checkpoint('s1', p, { seq: i })));
      const cp = await store.getCheckpoint('s1');
      const match = payloads.find((p) => p.writer === (cp!.payload as { writer: number }).writer);
      expect(cp?.payload).toEqual(match);
      expect(cp?.seq).toBe(match?.writer);
    });

    it('leaves the checkpoint untouched when a replacement is rejected', async () => {
      const store = await h.open();
      await store.checkpoint('s1', { ok: 1 }, { seq: 3 });
      await expect(store.checkpoint('s1', { bad: 10n })).rejects.toMatchObject({
        code: 'HISTORY_INVALID_ARGUMENT',
        field: 'payload',
      });
      await expect(store.checkpoint('s1', { ok: 2 }, { seq: -1 })).rejects.toMatchObject({
        field: 'opts.seq',
      });
      expect(await store.getCheckpoint('s1')).toMatchObject({ payload: { ok: 1 }, seq: 3 });
    });
  });
}
