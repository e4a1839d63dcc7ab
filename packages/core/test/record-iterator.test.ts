import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../src/history-backend.js';
import { RecordIterator } from '../src/record-iterator.js';

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
});
