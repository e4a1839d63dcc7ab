import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { envelope, envelopes, type Harness, ids, seqs } from '../harness.js';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);

/** Order within a session, `after` cursors, `limit` and direction. */
export function orderingSuite(_subject: ContractSubject, h: Harness): void {
  describe('ordering and cursors', () => {
    it('streams in seq order by default', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(20));
      expect(await seqs(() => store.stream('s1'))).toEqual(range(1, 20));
    });

    it("streams in reverse with direction: 'backward'", async () => {
      const store = await h.open();
      await store.appendMany(envelopes(20));
      expect(await seqs(() => store.stream('s1', { direction: 'backward' }))).toEqual(
        range(1, 20).reverse(),
      );
    });

    it('treats after as an exclusive cursor going forward', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(10));
      expect(await seqs(() => store.stream('s1', { after: 7 }))).toEqual([8, 9, 10]);
    });

    it('treats after as an exclusive cursor going backward', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(10));
      expect(await seqs(() => store.stream('s1', { after: 4, direction: 'backward' }))).toEqual([
        3, 2, 1,
      ]);
    });

    it('yields everything for after: 0 and nothing past the end', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(5));
      expect(await seqs(() => store.stream('s1', { after: 0 }))).toEqual(range(1, 5));
      expect(await seqs(() => store.stream('s1', { after: 5 }))).toEqual([]);
      expect(await seqs(() => store.stream('s1', { after: 500 }))).toEqual([]);
      expect(await seqs(() => store.stream('s1', { after: 0, direction: 'backward' }))).toEqual([]);
    });

    it('caps the count with limit, from the start or the end', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(10));
      expect(await seqs(() => store.stream('s1', { limit: 3 }))).toEqual([1, 2, 3]);
      expect(await seqs(() => store.stream('s1', { limit: 3, direction: 'backward' }))).toEqual([
        10, 9, 8,
      ]);
      expect(await seqs(() => store.stream('s1', { limit: 50 }))).toEqual(range(1, 10));
    });

    it('yields nothing for limit: 0', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(5));
      expect(await seqs(() => store.stream('s1', { limit: 0 }))).toEqual([]);
      expect(await seqs(() => store.stream('s1', { limit: 0, direction: 'backward' }))).toEqual([]);
    });

    it('yields nothing for a session that was never written', async () => {
      const store = await h.open();
      await store.append(envelope(1));
      expect(await seqs(() => store.stream('nobody'))).toEqual([]);
      expect(await seqs(() => store.stream('nobody', { direction: 'backward' }))).toEqual([]);
    });

    it('keeps each session in its own order when appends interleave', async () => {
      const store = await h.open();
      for (let i = 1; i <= 30; i++) {
        await store.append(envelope(i, { sessionId: i % 3 === 0 ? 'x' : 'y' }));
      }
      const x = await ids(() => store.stream('x'));
      const y = await ids(() => store.stream('y'));
      expect(x).toEqual(
        range(1, 30)
          .filter((i) => i % 3 === 0)
          .map((i) => `evt-${i}`),
      );
      expect(y).toEqual(
        range(1, 30)
          .filter((i) => i % 3 !== 0)
          .map((i) => `evt-${i}`),
      );
      expect(await seqs(() => store.stream('x'))).toEqual(range(1, 10));
    });

    it('keeps seq increasing across many batches', async () => {
      const store = await h.open();
      for (let b = 0; b < 10; b++) await store.appendMany(envelopes(13, {}, b * 13 + 1));
      const all = await seqs(() => store.stream('s1'));
      expect(all).toHaveLength(130);
      expect(new Set(all).size).toBe(130);
      for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThan(all[i - 1]!);
    });

    it('pages forward with after + limit and rebuilds the exact sequence', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(50));
      const seen: string[] = [];
      let cursor = 0;
      for (;;) {
        const page = await (async () => {
          const out: { seq: number; id: string }[] = [];
          for await (const r of store.stream('s1', { after: cursor, limit: 7 })) out.push(r);
          return out;
        })();
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.id));
        cursor = page.at(-1)!.seq;
      }
      expect(seen).toEqual(range(1, 50).map((i) => `evt-${i}`));
    });

    it('pages backward with after + limit and rebuilds the reverse sequence', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(30));
      const seen: number[] = [];
      let cursor: number | undefined;
      for (;;) {
        const page = await seqs(() =>
          store.stream('s1', {
            direction: 'backward',
            limit: 4,
            ...(cursor === undefined ? {} : { after: cursor }),
          }),
        );
        if (page.length === 0) break;
        seen.push(...page);
        cursor = page.at(-1)!;
      }
      expect(seen).toEqual(range(1, 30).reverse());
    });
  });
}
