import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../src/history-backend.js';
import { RecordIterator } from '../src/record-iterator.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const row = (seq: number, json = `{"n":${seq}}`): StoredRecord => ({
  seq,
  sessionId: 's',
  id: `e${seq}`,
  json,
  createdAt: '2025-01-01T00:00:00.000Z',
});

/** Pages of `size` rows, recording how far the consumer pulled and whether it was released. */
function pages(total: number, size: number) {
  const log = { pagesServed: 0, released: false };
  async function* gen() {
    try {
      for (let seq = 1; seq <= total; seq += size) {
        log.pagesServed++;
        yield Array.from({ length: Math.min(size, total - seq + 1) }, (_, k) => row(seq + k));
      }
    } finally {
      log.released = true;
    }
  }
  return { open: () => gen(), log };
}

describe('RecordIterator', () => {
  it('yields every record of every page in order, parsed', async () => {
    const { open, log } = pages(7, 3);
    const seen: unknown[] = [];
    for await (const r of new RecordIterator(open, undefined, () => false)) seen.push(r.envelope);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => ({ n })));
    expect(log).toEqual({ pagesServed: 3, released: true });
  });

  it('stops at the limit without fetching further pages, and releases the backend', async () => {
    const { open, log } = pages(100, 10);
    const seqs: number[] = [];
    for await (const r of new RecordIterator(open, 12, () => false)) seqs.push(r.seq);
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
    expect(log).toEqual({ pagesServed: 2, released: true });
  });

  it('releases the backend when the loop is left early', async () => {
    const { open, log } = pages(100, 10);
    for await (const r of new RecordIterator(open, undefined, () => false)) {
      if (r.seq === 4) break;
    }
    expect(log).toEqual({ pagesServed: 1, released: true });
  });

  it('answers calls made without waiting in order, across page fetches', async () => {
    const { open } = pages(5, 2);
    const it = new RecordIterator(open, undefined, () => false);
    const results = await Promise.all(Array.from({ length: 7 }, () => it.next()));
    expect(results.map((r) => (r.done ? 'done' : r.value.seq))).toEqual([
      1,
      2,
      3,
      4,
      5,
      'done',
      'done',
    ]);
  });

  it('rejects (never throws) on unparsable JSON, and refuses to open after close', async () => {
    async function* bad() {
      yield [row(1), row(2, '{broken')];
    }
    const it = new RecordIterator(bad, undefined, () => false);
    await expect(it.next()).resolves.toMatchObject({ value: { seq: 1 } });
    await expect(it.next()).rejects.toThrow(SyntaxError);
    const closed = new RecordIterator(pages(1, 1).open, undefined, () => true);
    await expect(closed.next()).rejects.toMatchObject({ code: 'HISTORY_CLOSED' });
  });

  it('yields nothing for limit 0 and never opens the backend', async () => {
    let opened = false;
    const it = new RecordIterator(
      () => {
        opened = true;
        return pages(1, 1).open();
      },
      0,
      () => false,
    );
    await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
    expect(opened).toBe(false);
  });

  it('lets go of a consumed page before it waits for the next one', async () => {
    // A backend reading the next page (and prefetching one more) must not find the
    // consumed page still held: with large envelopes that is a third page of memory.
    let first: WeakRef<object> | undefined;
    let firstCollected: boolean | undefined;
    let served = 0;
    const backend: AsyncIterator<readonly StoredRecord[]> = {
      async next() {
        if (served === 1) {
          await nextTurn(); // a WeakRef keeps its target alive until the current job ends
          gc();
          firstCollected = first?.deref() === undefined;
        }
        if (served === 2) return { done: true, value: undefined };
        const page = [row(served * 2 + 1), row(served * 2 + 2)];
        if (served++ === 0) first = new WeakRef(page);
        return { done: false, value: page };
      },
    };
    const seqs: number[] = [];
    const open = () => ({ [Symbol.asyncIterator]: () => backend });
    for await (const r of new RecordIterator(open, undefined, () => false)) seqs.push(r.seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(firstCollected).toBe(true);
  });
});
