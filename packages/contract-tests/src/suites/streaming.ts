import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { collect, envelope, envelopes, type Harness, seqs } from '../harness.js';

/** Lazy paged streaming, early exit and independent iterators. */
export function streamingSuite(subject: ContractSubject, h: Harness): void {
  const timeout = subject.slowTestTimeoutMs ?? 60_000;

  describe('streaming', () => {
    it(
      'streams a session larger than any page, in order, each record once',
      async () => {
        const store = await h.open();
        for (let b = 0; b < 5; b++) await store.appendMany(envelopes(1000, {}, b * 1000 + 1));
        let expected = 1;
        for await (const r of store.stream('s1')) {
          expect(r.seq).toBe(expected);
          expect(r.id).toBe(`evt-${expected}`);
          expected++;
        }
        expect(expected).toBe(5001);
        let backward = 5000;
        for await (const r of store.stream('s1', { direction: 'backward' })) {
          expect(r.seq).toBe(backward--);
        }
        expect(backward).toBe(0);
      },
      timeout,
    );

    it(
      'releases its resources when the loop exits early, every time',
      async () => {
        const store = await h.open();
        await store.appendMany(envelopes(3000));
        for (let round = 0; round < 40; round++) {
          for await (const r of store.stream('s1', {
            direction: round % 2 ? 'backward' : 'forward',
          })) {
            expect(r.seq).toBeGreaterThan(0);
            break;
          }
        }
        // A leaked cursor, connection or handle per early exit would exhaust the backend by now.
        expect(await collect(() => store.stream('s1'))).toHaveLength(3000);
        await store.append(envelope(3001));
        await h.close(store);
      },
      timeout,
    );

    it('releases its resources when the loop throws', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(1500));
      for (let round = 0; round < 20; round++) {
        await expect(
          (async () => {
            for await (const _ of store.stream('s1')) throw new Error('consumer failed');
          })(),
        ).rejects.toThrow('consumer failed');
      }
      expect(await seqs(() => store.stream('s1', { after: 1499 }))).toEqual([1500]);
    });

    it('supports a manual return() on the iterator', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(2000));
      const iterator = store.stream('s1')[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      expect(first.value?.seq).toBe(1);
      await iterator.return?.();
      expect((await iterator.next()).done).toBe(true);
    });

    it('advances two iterators over one session independently', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(1200));
      const a = store.stream('s1')[Symbol.asyncIterator]();
      const b = store.stream('s1', { direction: 'backward' })[Symbol.asyncIterator]();
      const got: Array<[number, number]> = [];
      for (let i = 0; i < 1200; i++) {
        const [x, y] = await Promise.all([a.next(), b.next()]);
        got.push([x.value!.seq, y.value!.seq]);
      }
      expect((await a.next()).done).toBe(true);
      expect((await b.next()).done).toBe(true);
      expect(got[0]).toEqual([1, 1200]);
      expect(got[1199]).toEqual([1200, 1]);
      expect(got.every(([x, y]) => x + y === 1201)).toBe(true);
    });

    it('sees every append that resolved before the stream began', async () => {
      const store = await h.open();
      for (let i = 1; i <= 25; i++) {
        await store.append(envelope(i));
        const last = await seqs(() => store.stream('s1', { direction: 'backward', limit: 1 }));
        expect(last).toEqual([i]);
      }
    });

    it('does no work until iterated', async () => {
      const store = await h.open();
      const iterable = store.stream('s1');
      await store.appendMany(envelopes(3));
      // Created before the appends, read after: it must see them.
      expect((await collect(() => iterable)).map((r) => r.seq)).toEqual([1, 2, 3]);
    });

    it('streams other sessions while one is being read', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(600, { sessionId: 'a' }));
      await store.appendMany(envelopes(600, { sessionId: 'b' }));
      let count = 0;
      for await (const r of store.stream('a')) {
        if (r.seq % 200 === 0) {
          const inner = await seqs(() => store.stream('b', { after: r.seq - 1, limit: 1 }));
          expect(inner).toEqual([r.seq]);
        }
        count++;
      }
      expect(count).toBe(600);
    });
  });
}
