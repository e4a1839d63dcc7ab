import { ConflictError, HistoryError } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { envelope, envelopes, type Harness, ids, seqs } from '../harness.js';

async function rejection(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** append / appendMany with `expectedSeq`: optimistic concurrency on a session. */
export function conditionalAppendSuite(_subject: ContractSubject, h: Harness): void {
  describe('conditional appends (expectedSeq)', () => {
    it('expectedSeq 0 creates a session; a second one conflicts and writes nothing', async () => {
      const store = await h.open();
      await expect(store.append(envelope(1), { expectedSeq: 0 })).resolves.toMatchObject({
        seq: 1,
        duplicate: false,
      });
      const error = await rejection(store.append(envelope(2), { expectedSeq: 0 }));
      expect(ConflictError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'HISTORY_CONFLICT',
        sessionId: 's1',
        expectedSeq: 0,
        actualSeq: 1,
      });
      expect(await ids(() => store.stream('s1'))).toEqual(['evt-1']);
    });

    it('commits when the last seq matches, conflicts when it does not', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(3));
      await expect(store.append(envelope(4), { expectedSeq: 3 })).resolves.toMatchObject({
        seq: 4,
      });
      const error = await rejection(store.append(envelope(5), { expectedSeq: 3 }));
      expect(error).toMatchObject({ code: 'HISTORY_CONFLICT', actualSeq: 4, expectedSeq: 3 });
      expect(await seqs(() => store.stream('s1'))).toEqual([1, 2, 3, 4]);
    });

    it('a retry of a conditional append that succeeded is a duplicate, not a conflict', async () => {
      const store = await h.open();
      await store.append(envelope(1));
      const first = await store.append(envelope(2), { expectedSeq: 1 });
      const retry = await store.append(envelope(2), { expectedSeq: 1 });
      expect(retry).toEqual({ ...first, duplicate: true });
      const many = await store.appendMany(envelopes(3, {}, 3), { expectedSeq: 2 });
      const manyRetry = await store.appendMany(envelopes(3, {}, 3), { expectedSeq: 2 });
      expect(manyRetry).toEqual(many.map((r) => ({ ...r, duplicate: true })));
      expect(await seqs(() => store.stream('s1'))).toEqual([1, 2, 3, 4, 5]);
    });

    it('a conditional appendMany is all or nothing', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(2));
      const error = await rejection(store.appendMany(envelopes(5, {}, 10), { expectedSeq: 1 }));
      expect(error).toMatchObject({ code: 'HISTORY_CONFLICT', actualSeq: 2 });
      expect(await seqs(() => store.stream('s1'))).toEqual([1, 2]);
      const ok = await store.appendMany(envelopes(5, {}, 10), { expectedSeq: 2 });
      expect(ok.map((r) => r.seq)).toEqual([3, 4, 5, 6, 7]);
    });

    it('of racing writers expecting the same seq, exactly one wins', async () => {
      const store = await h.open();
      await store.append(envelope(1));
      const attempts = Array.from({ length: 10 }, (_, k) =>
        store.append(envelope(100 + k), { expectedSeq: 1 }).then(
          (r) => ({ ok: true as const, r }),
          (e: unknown) => ({ ok: false as const, e }),
        ),
      );
      const outcomes = await Promise.all(attempts);
      const won = outcomes.filter((o) => o.ok);
      expect(won).toHaveLength(1);
      for (const o of outcomes) {
        if (!o.ok) expect(o.e).toMatchObject({ code: 'HISTORY_CONFLICT', actualSeq: 2 });
      }
      expect(await seqs(() => store.stream('s1'))).toEqual([1, 2]);
    });

    it('conditions made in one tick see each other, and a conflict fails no one else', async () => {
      const store = await h.open();
      const a = store.append(envelope(1), { expectedSeq: 0 });
      const b = store.append(envelope(2), { expectedSeq: 1 });
      const other = store.append(envelope(3, { sessionId: 's2' }));
      const wrong = store.append(envelope(4), { expectedSeq: 7 });
      const plain = store.append(envelope(5));
      await expect(a).resolves.toMatchObject({ seq: 1 });
      await expect(b).resolves.toMatchObject({ seq: 2 });
      await expect(other).resolves.toMatchObject({ seq: 1 });
      expect(await rejection(wrong)).toMatchObject({ code: 'HISTORY_CONFLICT', actualSeq: 2 });
      await expect(plain).resolves.toMatchObject({ seq: 3 });
      expect(await ids(() => store.stream('s1'))).toEqual(['evt-1', 'evt-2', 'evt-5']);
    });

    it('a deleted session counts as new', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(3));
      await store.deleteSession('s1');
      expect(await rejection(store.append(envelope(9), { expectedSeq: 3 }))).toMatchObject({
        code: 'HISTORY_CONFLICT',
        actualSeq: 0,
      });
      await expect(store.append(envelope(9), { expectedSeq: 0 })).resolves.toMatchObject({
        seq: 4,
      });
    });

    it('refuses a conditional appendMany over several sessions or beyond one batch', async () => {
      const store = await h.open({ maxBatchSize: 5 });
      const mixed = [envelope(1), envelope(2, { sessionId: 's2' })];
      const cases: Array<Promise<unknown>> = [
        store.appendMany(mixed, { expectedSeq: 0 }),
        store.appendMany(envelopes(6), { expectedSeq: 0 }),
      ];
      for (const attempt of cases) {
        const error = await rejection(attempt);
        expect(HistoryError.hasCode(error, 'HISTORY_INVALID_ARGUMENT')).toBe(true);
        expect((error as { field: string }).field).toBe('envelopes');
      }
      // Unconditional, the same calls are fine.
      await store.appendMany(envelopes(6));
      expect(await store.getSession('s1')).toMatchObject({ lastSeq: 6 });
    });

    it('rejects a bad expectedSeq or options naming the field, writing nothing', async () => {
      const store = await h.open();
      const cases: Array<[unknown, string]> = [
        [{ expectedSeq: -1 }, 'options.expectedSeq'],
        [{ expectedSeq: 1.5 }, 'options.expectedSeq'],
        [{ expectedSeq: '1' }, 'options.expectedSeq'],
        [{ expectedseq: 1 }, 'options.expectedseq'],
        [null, 'options'],
        [5, 'options'],
      ];
      for (const [options, field] of cases) {
        for (const attempt of [
          () => store.append(envelope(1), options as never),
          () => store.appendMany(envelopes(2), options as never),
        ]) {
          const error = await rejection(attempt());
          expect(HistoryError.hasCode(error, 'HISTORY_INVALID_ARGUMENT'), field).toBe(true);
          expect((error as { field: string }).field).toBe(field);
        }
      }
      expect(await store.getSession('s1')).toBeNull();
    });
  });
}
