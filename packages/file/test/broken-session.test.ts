import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { envelope } from '@history/contract-tests';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { seqIds } from './seq-ids.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A root holding sessions `good` and `bad` with three events each, closed. */
async function seeded(): Promise<string> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  const store = await createFileHistoryStore({ root: root.path });
  for (const s of ['good', 'bad']) {
    await store.appendMany([
      envelope(1, { sessionId: s, id: 'a' }),
      envelope(2, { sessionId: s, id: 'b' }),
      envelope(3, { sessionId: s, id: 'c' }),
    ]);
  }
  await store.close();
  return root.path;
}

/**
 * Appends, in one tick (so they share a batch), to healthy sessions and to
 * `bad`, alone and mixed in one appendMany; checks that only what touches
 * `bad` fails, and that the healthy appends are stored exactly once.
 */
async function appendAroundBrokenSession(root: string): Promise<void> {
  const store = await createFileHistoryStore({ root });
  cleanups.push(() => store.close());
  const outcomes = await Promise.allSettled([
    store.append(envelope(4, { sessionId: 'good', id: 'd' })),
    store.append(envelope(4, { sessionId: 'bad', id: 'd' })),
    store.append(envelope(1, { sessionId: 'fresh', id: 'a' })),
    store.appendMany([
      envelope(1, { sessionId: 'other', id: 'a' }),
      envelope(5, { sessionId: 'bad', id: 'e' }),
    ]),
    store.append(envelope(5, { sessionId: 'good', id: 'e' })),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual([
    'fulfilled',
    'rejected',
    'fulfilled',
    'rejected',
    'fulfilled',
  ]);
  for (const o of [outcomes[1], outcomes[3]] as PromiseRejectedResult[]) {
    expect(o.reason).toMatchObject({ code: 'HISTORY_STORAGE' });
    expect(o.reason.message).toContain('"bad"');
  }
  expect(await seqIds(store, 'good')).toEqual(['1:a', '2:b', '3:c', '4:d', '5:e']);
  expect(await seqIds(store, 'fresh')).toEqual(['1:a']);
  // The mixed call failed as a whole: its healthy session got nothing.
  expect(await seqIds(store, 'other')).toEqual([]);
  // The broken session still fails alone, and healthy ones still succeed after it.
  await expect(store.append(envelope(6, { sessionId: 'bad', id: 'f' }))).rejects.toMatchObject({
    code: 'HISTORY_STORAGE',
  });
  await expect(store.append(envelope(6, { sessionId: 'good', id: 'f' }))).resolves.toMatchObject({
    seq: 6,
  });
}

describe('a broken session file', () => {
  it('with an unreadable middle line fails that session only, not the batch', async () => {
    const root = await seeded();
    const { data } = sessionFiles(root, 'bad');
    const lines = (await readFile(data, 'utf8')).split('\n');
    lines[1] = 'not a record';
    await writeFile(data, lines.join('\n'));
    await appendAroundBrokenSession(root);
  });

  it('replaced by a directory fails that session only, not the batch', async () => {
    const root = await seeded();
    const { data } = sessionFiles(root, 'bad');
    await rm(data);
    await mkdir(data);
    await appendAroundBrokenSession(root);
  });
});
