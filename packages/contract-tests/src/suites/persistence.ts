import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { collect, envelope, envelopes, type Harness, seqs } from '../harness.js';

/** What survives close() and a reopen, for backends that persist. */
export function persistenceSuite(_subject: ContractSubject, h: Harness): void {
  describe('persistence across reopen', () => {
    it('keeps records, their order and their envelopes', async () => {
      const first = await h.open();
      const written = envelopes(50, { sessionId: 'p' });
      await first.appendMany(written);
      await h.close(first);
      const second = await h.open();
      const records = await collect(() => second.stream('p'));
      expect(records.map((r) => r.envelope)).toEqual(written);
      expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
    });

    it('continues seq after reopen instead of reusing it', async () => {
      const first = await h.open();
      await first.appendMany(envelopes(5));
      await h.close(first);
      const second = await h.open();
      expect((await second.append(envelope(6))).seq).toBe(6);
      expect(await seqs(() => second.stream('s1'))).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('remembers ids across reopen, so retries stay idempotent', async () => {
      const first = await h.open();
      await first.appendMany(envelopes(5));
      await h.close(first);
      const second = await h.open();
      const retry = await second.appendMany(envelopes(6));
      expect(retry.map((r) => r.duplicate)).toEqual([true, true, true, true, true, false]);
      expect(retry.at(-1)!.seq).toBe(6);
    });

    it('keeps the latest checkpoint', async () => {
      const first = await h.open();
      await first.checkpoint('s1', { v: 1 }, { seq: 1 });
      await first.checkpoint('s1', { v: 2 }, { seq: 2 });
      await h.close(first);
      const second = await h.open();
      expect(await second.getCheckpoint('s1')).toMatchObject({ payload: { v: 2 }, seq: 2 });
    });

    it('survives several open/close cycles with many sessions', async () => {
      for (let round = 0; round < 3; round++) {
        const store = await h.open();
        for (let s = 0; s < 10; s++) {
          await store.appendMany(envelopes(10, { sessionId: `sess-${s}` }, round * 10 + 1));
        }
        await h.close(store);
      }
      const store = await h.open();
      for (let s = 0; s < 10; s++) {
        expect(await seqs(() => store.stream(`sess-${s}`))).toEqual(
          Array.from({ length: 30 }, (_, k) => k + 1),
        );
      }
    });
  });
}
