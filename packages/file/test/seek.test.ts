import { readFile, stat, writeFile } from 'node:fs/promises';
import type { HistoryRange, HistoryStore } from '@history/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { INDEX_INTERVAL } from '../src/session-index.js';
import { tempRoot } from './temp-root.js';

const COUNT = 5000;
const BASE = Date.UTC(2025, 0, 1);
let root: Awaited<ReturnType<typeof tempRoot>>;

async function seqs(store: HistoryStore, range: HistoryRange): Promise<number[]> {
  const out: number[] = [];
  for await (const r of store.stream('long', range)) out.push(r.seq);
  return out;
}

const span = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

beforeAll(async () => {
  root = await tempRoot();
  const store = await createFileHistoryStore({ root: root.path });
  // Uneven batches so index blocks start mid-batch.
  for (let i = 0; i < COUNT; i += 333) {
    await store.appendMany(
      span(i + 1, Math.min(COUNT, i + 333)).map((k) => ({
        id: `e${k}`,
        type: 't',
        payload: { k, text: 'é'.repeat(k % 7) },
        occurredAt: new Date(BASE + k * 1000).toISOString(),
        sessionId: 'long',
      })),
    );
  }
  await store.close();
});
afterAll(() => root.remove());

const cases: Array<[string, HistoryRange, number[]]> = [
  [
    'after on a block boundary',
    { after: INDEX_INTERVAL, limit: 3 },
    span(INDEX_INTERVAL + 1, INDEX_INTERVAL + 3),
  ],
  [
    'after just before a boundary',
    { after: INDEX_INTERVAL * 3 - 1, limit: 3 },
    span(INDEX_INTERVAL * 3, INDEX_INTERVAL * 3 + 2),
  ],
  ['after deep in the session', { after: 4990 }, span(4991, 5000)],
  ['after the last seq', { after: COUNT }, []],
  [
    'backward from a block start',
    { after: 2049, direction: 'backward', limit: 3 },
    [2048, 2047, 2046],
  ],
  ['backward from mid-block', { after: 3000, direction: 'backward', limit: 2 }, [2999, 2998]],
  [
    'backward from after past the end',
    { after: 9999, direction: 'backward', limit: 2 },
    [5000, 4999],
  ],
  ['backward with after 1', { after: 1, direction: 'backward' }, []],
  [
    'after with a time window',
    {
      after: 3000,
      from: new Date(BASE + 3500 * 1000).toISOString(),
      to: new Date(BASE + 3502 * 1000).toISOString(),
    },
    span(3500, 3502),
  ],
];

describe('after seeks through the sidecar index', () => {
  it('writes one index entry per block of records', async () => {
    const { size } = await stat(sessionFiles(root.path, 'long').index);
    expect(size).toBe(Math.ceil(COUNT / INDEX_INTERVAL) * 8);
  });

  for (const [name, range, expected] of cases) {
    it(name, async () => {
      const store = await createFileHistoryStore({ root: root.path });
      try {
        expect(await seqs(store, range)).toEqual(expected);
      } finally {
        await store.close();
      }
    });
  }

  it('gives the same answers with a garbage index, and rebuilds it on the next append', async () => {
    const files = sessionFiles(root.path, 'long');
    const good = await readFile(files.index);
    await writeFile(files.index, Buffer.alloc(good.length, 0x41));
    const store = await createFileHistoryStore({ root: root.path });
    try {
      for (const [, range, expected] of cases) expect(await seqs(store, range)).toEqual(expected);
      await store.append({
        id: 'e5001',
        type: 't',
        payload: {},
        occurredAt: new Date(BASE).toISOString(),
        sessionId: 'long',
      });
      expect(await readFile(files.index)).toEqual(good);
    } finally {
      await store.close();
    }
  });

  it('really seeks: an unreadable early line does not affect a read that starts past it', async () => {
    const files = sessionFiles(root.path, 'long');
    const text = await readFile(files.data, 'latin1');
    const at = text.indexOf('{"seq":10,');
    // Same length, so every later offset (and the index) stays right.
    await writeFile(files.data, `${text.slice(0, at)}XXXXXXXXXX${text.slice(at + 10)}`, 'latin1');
    const store = await createFileHistoryStore({ root: root.path });
    try {
      expect(await seqs(store, { after: 4990, limit: 2 })).toEqual([4991, 4992]);
      expect(await seqs(store, { after: 4000, direction: 'backward', limit: 1 })).toEqual([3999]);
      await expect(seqs(store, {})).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
    } finally {
      await store.close();
    }
  });
});
