import { readdir, readlink } from 'node:fs/promises';
import { envelope, envelopes } from '@history/contract-tests';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Session files this process has open, from /proc (Linux). */
async function openDataFiles(root: string): Promise<number> {
  let n = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(root) && target.endsWith('.jsonl')) n++;
  }
  return n;
}

describe('open handles are LRU-bounded by maxOpenFiles', () => {
  it('never holds more than maxOpenFiles session files, and evicted sessions keep their seq and ids', async () => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const store = await createFileHistoryStore({ root: root.path, maxOpenFiles: 4 });
    const sessions = Array.from({ length: 20 }, (_, i) => `lru-${i}`);
    for (let round = 0; round < 3; round++) {
      for (const s of sessions) {
        const r = await store.append(envelope(round + 1, { sessionId: s, id: `r${round}` }));
        expect(r).toMatchObject({ seq: round + 1, duplicate: false });
        expect(await openDataFiles(root.path)).toBeLessThanOrEqual(4);
      }
    }
    // Re-sending an id to a long-evicted session is still a duplicate.
    expect(await store.append(envelope(1, { sessionId: 'lru-0', id: 'r0' }))).toMatchObject({
      seq: 1,
      duplicate: true,
    });

    // One batch spanning more sessions than handles is written a window at a time.
    const wide = await store.appendMany(
      sessions.map((s) => envelope(4, { sessionId: s, id: 'wide' })),
    );
    expect(wide.map((r) => r.seq)).toEqual(sessions.map(() => 4));
    expect(await openDataFiles(root.path)).toBeLessThanOrEqual(4);

    for (const s of sessions) {
      const got = [];
      for await (const r of store.stream(s)) got.push(`${r.seq}:${r.id}`);
      expect(got).toEqual(['1:r0', '2:r1', '3:r2', '4:wide']);
    }
    await store.close();
    expect(await openDataFiles(root.path)).toBe(0);
  });

  it('closes the read handle when a loop exits early', async () => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const store = await createFileHistoryStore({ root: root.path, maxOpenFiles: 1 });
    await store.appendMany(envelopes(2000, { sessionId: 'big' }));
    await store.append(envelope(1, { sessionId: 'other', id: 'x' })); // evicts 'big' from the append cache
    expect(await openDataFiles(root.path)).toBe(1);
    for (const direction of ['forward', 'backward'] as const) {
      let n = 0;
      for await (const _ of store.stream('big', { direction })) {
        expect(await openDataFiles(root.path)).toBe(2);
        if (++n === 3) break;
      }
      expect(await openDataFiles(root.path)).toBe(1);
    }
    await store.close();
  });
});
