import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { envelope } from '@history/contract-tests';
import type { HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { seqIds } from './seq-ids.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const ids = (store: HistoryStore, range?: Parameters<HistoryStore['stream']>[1]) =>
  seqIds(store, 's', range);

async function seeded(): Promise<{ root: string; data: string }> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  const store = await createFileHistoryStore({ root: root.path });
  await store.appendMany([
    envelope(1, { id: 'a', sessionId: 's' }),
    envelope(2, { id: 'b', sessionId: 's' }),
    envelope(3, { id: 'c', sessionId: 's' }),
  ]);
  await store.close();
  return { root: root.path, data: sessionFiles(root.path, 's').data };
}

describe('torn last line', () => {
  it('is never returned, is cut on the first append, and later appends continue cleanly', async () => {
    const { root, data } = await seeded();
    const intact = await readFile(data, 'utf8');
    // What a crash in the middle of writing record 4 leaves behind.
    await appendFile(
      data,
      '{"seq":4,"id":"d","at":1735689600000,"createdAt":"2025-01-01T00:00:00.000Z","envelope":{"id":"d","ty',
    );

    const store = await createFileHistoryStore({ root });
    expect(await ids(store)).toEqual(['1:a', '2:b', '3:c']);
    expect(await ids(store, { direction: 'backward' })).toEqual(['3:c', '2:b', '1:a']);
    const result = await store.append(envelope(4, { id: 'd', sessionId: 's' }));
    expect(result).toMatchObject({ seq: 4, duplicate: false });
    await store.append(envelope(5, { id: 'e', sessionId: 's' }));
    expect(await ids(store)).toEqual(['1:a', '2:b', '3:c', '4:d', '5:e']);
    await store.close();

    const text = await readFile(data, 'utf8');
    expect(text.startsWith(intact)).toBe(true);
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('cuts a complete but unreadable last line (garbage after a power loss)', async () => {
    const { root, data } = await seeded();
    await appendFile(data, '\0\0\0\0garbage\n');
    const store = await createFileHistoryStore({ root });
    expect(await store.append(envelope(4, { id: 'd', sessionId: 's' }))).toMatchObject({ seq: 4 });
    expect(await ids(store)).toEqual(['1:a', '2:b', '3:c', '4:d']);
    await store.close();
  });

  it('reports corruption in the middle of a file instead of cutting good records', async () => {
    const { root, data } = await seeded();
    const lines = (await readFile(data, 'utf8')).split('\n');
    lines[1] = 'not a record';
    await writeFile(data, lines.join('\n'));
    const store = await createFileHistoryStore({ root });
    await expect(store.append(envelope(4, { id: 'd', sessionId: 's' }))).rejects.toMatchObject({
      code: 'HISTORY_STORAGE',
    });
    await expect(ids(store)).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
    await store.close();
    // The good records after the bad line are still on disk.
    expect(await readFile(data, 'utf8')).toContain('"id":"c"');
  });

  it('keeps ids idempotent across a reopen (the id map is rebuilt from the file)', async () => {
    const { root } = await seeded();
    const store = await createFileHistoryStore({ root });
    expect(
      await store.appendMany([
        envelope(2, { id: 'b', sessionId: 's' }),
        envelope(4, { id: 'z', sessionId: 's' }),
      ]),
    ).toMatchObject([
      { id: 'b', seq: 2, duplicate: true },
      { id: 'z', seq: 4, duplicate: false },
    ]);
    await store.close();
  });
});
