import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('checkpoint files', () => {
  // Small checkpoints are read synchronously, large ones through the thread pool: both exact.
  it.each([
    ['small', 'x'.repeat(10)],
    ['at the synchronous limit', 'y'.repeat(64 * 1024 - 80)],
    ['large', `${'é'.repeat(60_000)}🧠`],
  ])('reads a %s checkpoint back exactly, across reopen', async (_, text) => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const store = await createFileHistoryStore({ root: root.path });
    await store.checkpoint('s', { text, n: 1 }, { seq: 7 });
    expect(await store.getCheckpoint('s')).toMatchObject({ payload: { text, n: 1 }, seq: 7 });
    await store.close();
    const again = await createFileHistoryStore({ root: root.path });
    expect(await again.getCheckpoint('s')).toMatchObject({ payload: { text, n: 1 }, seq: 7 });
    expect(await again.getCheckpoint('other')).toBeNull();
    await again.close();
  });
});
