import { mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { envelope } from '@history/contract-tests';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('a batch failing in one session file', () => {
  it('rolls back the files already written, rejects as a whole, and a retry is exactly-once', async () => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    // maxOpenFiles 1: session a is written and synced before session b is even opened.
    const store = await createFileHistoryStore({ root: root.path, maxOpenFiles: 1, retries: 0 });
    await store.append(envelope(1, { sessionId: 'a', id: 'a0' }));
    const aFile = sessionFiles(root.path, 'a').data;
    const before = await readFile(aFile, 'utf8');
    // A directory where b's data file belongs: opening it fails (EISDIR), for any user.
    const bFile = sessionFiles(root.path, 'b').data;
    await mkdir(bFile, { recursive: true });

    const batch = [
      envelope(2, { sessionId: 'a', id: 'a1' }),
      envelope(3, { sessionId: 'a', id: 'a2' }),
      envelope(1, { sessionId: 'b', id: 'b1' }),
    ];
    await expect(store.appendMany(batch)).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
    expect(await readFile(aFile, 'utf8')).toBe(before);
    const aAfterFailure = [];
    for await (const r of store.stream('a')) aAfterFailure.push(r.id);
    expect(aAfterFailure).toEqual(['a0']);

    await rm(bFile, { recursive: true });
    expect(await store.appendMany(batch)).toEqual([
      { id: 'a1', sessionId: 'a', seq: 2, duplicate: false },
      { id: 'a2', sessionId: 'a', seq: 3, duplicate: false },
      { id: 'b1', sessionId: 'b', seq: 1, duplicate: false },
    ]);
    expect((await store.appendMany(batch)).every((r) => r.duplicate)).toBe(true);
    await store.close();
  });

  for (const [name, padding] of [
    ['small shares, synchronous writes', 10],
    ['large share of a session, asynchronous writes', 8000],
  ] as const) {
    it(`rolls back when a write itself fails (${name})`, async () => {
      const root = await tempRoot();
      cleanups.push(root.remove);
      const store = await createFileHistoryStore({ root: root.path, retries: 0 });
      const big = (sessionId: string, id: string) =>
        envelope(1, { sessionId, id, payload: 'p'.repeat(padding) });
      await store.appendMany([big('a', 'a0'), big('b', 'b0')]);
      await store.close();
      // b's data file now points at /dev/full: opening and reading work, every write fails (ENOSPC).
      const aFile = sessionFiles(root.path, 'a').data;
      const bFile = sessionFiles(root.path, 'b').data;
      const before = await readFile(aFile, 'utf8');
      await rm(bFile);
      await symlink('/dev/full', bFile);

      const reopened = await createFileHistoryStore({ root: root.path, retries: 0 });
      const batch = Array.from({ length: 40 }, (_, i) => [
        big('a', `a${i + 1}`),
        big('b', `b${i + 1}`),
      ]).flat();
      const error = await reopened.appendMany(batch).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'HISTORY_STORAGE' });
      expect((error as Error).message).toMatch(/ENOSPC/);
      expect(await readFile(aFile, 'utf8')).toBe(before);

      await rm(bFile);
      const retried = await reopened.appendMany(batch);
      expect(retried.filter((r) => r.sessionId === 'a').map((r) => r.seq)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 2),
      );
      expect(retried.filter((r) => r.sessionId === 'b').map((r) => r.seq)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      const ids = [];
      for await (const r of reopened.stream('a')) ids.push(r.id);
      expect(ids).toEqual(Array.from({ length: 41 }, (_, i) => `a${i}`));
      await reopened.close();
    });
  }
});
