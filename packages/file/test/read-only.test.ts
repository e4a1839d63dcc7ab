import { appendFileSync, readFileSync, truncateSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { envelope, toArray } from '@history/contract-tests';
import { ReadOnlyError, StorageError } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function newRoot(): Promise<string> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  return root.path;
}

async function readOnly(root: string) {
  const store = await createFileHistoryStore({ root, readOnly: true });
  cleanups.push(() => store.close());
  return store;
}

/** Every entry under the root with its size and modification time (but the writer's lock, touched every 5 s). */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (path.includes('write.lock')) continue;
    const s = await stat(path);
    out.push(`${path} ${s.size} ${s.mtimeMs}`);
  }
  return out.sort();
}

describe('readOnly opens', () => {
  it('refuse a root that was never opened read-write, creating nothing', async () => {
    const root = await newRoot();
    const missing = join(root, 'nothing-here');
    for (const path of [root, missing]) {
      const opening = createFileHistoryStore({ root: path, readOnly: true });
      await expect(opening).rejects.toSatisfy(StorageError.isInstance);
      await expect(opening).rejects.toThrow(/opened read-write once/);
    }
    expect(await readdir(root)).toEqual([]);
  });

  it('reject writes with ReadOnlyError naming the operation, and refuse retention', async () => {
    const root = await newRoot();
    await (await createFileHistoryStore({ root })).close();
    const store = await readOnly(root);
    const writes = [
      () => store.append(envelope(1)),
      () => store.appendMany([envelope(1)]),
      () => store.checkpoint('s1', { at: 1 }),
      () => store.deleteSession('s1'),
      () => store.purgeExpired(),
    ];
    const operations = ['append', 'append', 'checkpoint', 'deleteSession', 'purgeExpired'];
    for (const [k, write] of writes.entries()) {
      const error = await write().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(ReadOnlyError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'HISTORY_READ_ONLY', operation: operations[k] });
    }
    await expect(
      createFileHistoryStore({ root, readOnly: true, retention: { maxAgeMs: 1000 } }),
    ).rejects.toMatchObject({ code: 'HISTORY_INVALID_ARGUMENT', field: 'options.retention' });
    for (const [key, value] of [
      ['readOnly', 'yes'],
      ['changeCheckMs', 0],
    ] as const) {
      await expect(createFileHistoryStore({ root, [key]: value })).rejects.toMatchObject({
        field: `options.${key}`,
      });
    }
  });

  it('write nothing, also beside an open writer whose feed index is not closed', async () => {
    const root = await newRoot();
    const writer = await createFileHistoryStore({ root });
    cleanups.push(() => writer.close());
    await writer.appendMany([envelope(1), envelope(2, { sessionId: 's2' })]);
    await writer.checkpoint('s1', { at: 1 });
    const before = await snapshot(root);
    const store = await readOnly(root);
    expect((await toArray(store.stream('s1'))).map((r) => r.id)).toEqual(['evt-1']);
    expect((await toArray(store.feed())).map((e) => e.record.id)).toEqual(['evt-1', 'evt-2']);
    expect(await store.getCheckpoint('s1')).toMatchObject({ payload: { at: 1 } });
    expect((await toArray(store.listSessions())).map((s) => s.sessionId)).toEqual(['s1', 's2']);
    await store.close();
    expect(await snapshot(root)).toEqual(before);
  });

  it('yield only lines whose feed index line is complete, and never a cut batch', async () => {
    const root = await newRoot();
    const writer = await createFileHistoryStore({ root });
    await writer.append(envelope(1));
    await writer.append(envelope(2));
    await writer.close();
    const store = await readOnly(root);
    const data = sessionFiles(root, 's1').data;
    const feed = join(root, 'feed.idx');
    const lines = readFileSync(data, 'utf8').split('\n');
    const line = (seq: number, id: string) =>
      `${lines[1]!.replace('{"seq":2,"id":"evt-2"', `{"seq":${seq},"id":"${id}"`)}\n`;
    const ids = async () => (await toArray(store.stream('s1'))).map((r) => r.id);
    const back = async () =>
      (await toArray(store.stream('s1', { direction: 'backward' }))).map((r) => r.seq);
    const fed = async () => (await toArray(store.feed())).map((e) => e.record.id);

    // A batch in progress: its session line is complete, its feed line torn.
    const size = readFileSync(data).length;
    appendFileSync(data, line(3, 'cut'));
    appendFileSync(feed, `[3,3,1,${size},`);
    expect(await ids()).toEqual(['evt-1', 'evt-2']);
    expect(await back()).toEqual([2, 1]);
    expect(await fed()).toEqual(['evt-1', 'evt-2']);
    expect(await store.getSession('s1')).toMatchObject({ lastSeq: 2, eventCount: 2 });

    // Rolled back: both cut, another batch takes seq 3 and commits.
    truncateSync(data, size);
    truncateSync(feed, readFileSync(feed).length - `[3,3,1,${size},`.length);
    const next = line(3, 'kept');
    appendFileSync(data, next);
    appendFileSync(feed, `[3,3,1,${size},${Buffer.byteLength(next)},"s1"]\n`);
    expect(await ids()).toEqual(['evt-1', 'evt-2', 'kept']);
    expect(await back()).toEqual([3, 2, 1]);
    expect(await fed()).toEqual(['evt-1', 'evt-2', 'kept']);
    expect(await store.getSession('s1')).toMatchObject({ lastSeq: 3, eventCount: 3 });
  });
});
