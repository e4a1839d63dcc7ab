import { spawn } from 'node:child_process';
import { access, readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { envelope, envelopes } from '@history/contract-tests';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionFiles } from '../src/session-files.js';
import { INDEX_INTERVAL } from '../src/session-index.js';
import { type Cleanups, openBackendStore } from './backend-store.js';
import { seqIds } from './seq-ids.js';
import { tempRoot } from './temp-root.js';

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A store and the backend under it, to look at its handles and states. */
const open = (options: Record<string, unknown>) => openBackendStore(cleanups, options);

describe('session state is kept apart from open handles', () => {
  it('a session whose handle was closed keeps its state: reopened, never rescanned', async () => {
    const { store, backend } = await open({ maxOpenFiles: 1 });
    await store.appendMany([
      envelope(1, { sessionId: 'a', id: 'a1' }),
      envelope(2, { sessionId: 'a', id: 'a2' }),
    ]);
    const stateOfA = backend.states.peek('a');
    expect(stateOfA).toMatchObject({ lastSeq: 2 });

    await store.append(envelope(1, { sessionId: 'b', id: 'b1' })); // a's handle is closed to make room
    expect(backend.handles.size).toBe(1);
    expect(backend.handles.get('a')).toBeUndefined();
    const opens = backend.handles.opens;

    expect(await store.append(envelope(1, { sessionId: 'a', id: 'a1' }))).toMatchObject({
      seq: 1,
      duplicate: true,
    });
    expect(await store.append(envelope(3, { sessionId: 'a', id: 'a3' }))).toMatchObject({
      seq: 3,
      duplicate: false,
    });
    // One reopen, and the very same state object: a rescan would have built a new one.
    expect(backend.handles.opens).toBe(opens + 1);
    expect(backend.states.peek('a')).toBe(stateOfA);
    expect(await seqIds(store, 'a')).toEqual(['1:a1', '2:a2', '3:a3']);
    expect(await seqIds(store, 'b')).toEqual(['1:b1']);
  });

  it('bounds the ids held; a dropped session is rebuilt from its file with seqs and ids intact', async () => {
    const { store, backend } = await open({ maxCachedIds: 4 });
    for (const s of ['a', 'b', 'c'])
      await store.appendMany([
        envelope(1, { sessionId: s, id: `${s}1` }),
        envelope(2, { sessionId: s, id: `${s}2` }),
      ]);
    // 6 ids written, at most 4 held: a (least recently used) was dropped.
    expect(backend.states.idCount).toBeLessThanOrEqual(4);
    expect(backend.states.peek('a')).toBeUndefined();
    expect(backend.states.peek('c')).toBeDefined();

    expect(await store.append(envelope(2, { sessionId: 'a', id: 'a2' }))).toMatchObject({
      seq: 2,
      duplicate: true,
    });
    expect(await store.append(envelope(3, { sessionId: 'a', id: 'a3' }))).toMatchObject({
      seq: 3,
      duplicate: false,
    });
    expect(backend.states.peek('a')).toMatchObject({ lastSeq: 3 });
    expect(backend.states.idCount).toBeLessThanOrEqual(4);
    expect(await seqIds(store, 'a')).toEqual(['1:a1', '2:a2', '3:a3']);
  });

  it('keeps the state of a session larger than the bound while it is appended to', async () => {
    const { store, backend } = await open({ maxCachedIds: 2 });
    await store.appendMany([
      envelope(1, { sessionId: 'big', id: 'x1' }),
      envelope(2, { sessionId: 'big', id: 'x2' }),
      envelope(3, { sessionId: 'big', id: 'x3' }),
    ]);
    expect(backend.states.peek('big')).toMatchObject({ lastSeq: 3 });
    expect(await store.append(envelope(2, { sessionId: 'big', id: 'x2' }))).toMatchObject({
      seq: 2,
      duplicate: true,
    });
  });
});

describe('batches started concurrently by core', () => {
  it('are written one after another: no handle is closed under a batch in flight', async () => {
    const { store } = await open({ maxOpenFiles: 2, maxConcurrentBatches: 4 });
    const sessions = Array.from({ length: 12 }, (_, i) => `c${i}`);
    await Promise.all(
      sessions.map(async (s) => {
        for (let i = 1; i <= 15; i++)
          await store.append(envelope(i, { sessionId: s, id: `${s}-${i}` }));
      }),
    );
    for (const s of sessions) {
      expect(await seqIds(store, s)).toEqual(
        Array.from({ length: 15 }, (_, i) => `${i + 1}:${s}-${i + 1}`),
      );
    }
  });
});

describe('a new session', () => {
  it('has no index file until its second index block', async () => {
    const { store, root } = await open({});
    await store.append(envelope(0, { sessionId: 'fresh' }));
    const files = sessionFiles(root, 'fresh');
    await expect(access(files.index)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.appendMany(envelopes(INDEX_INTERVAL, { sessionId: 'fresh' }));
    // Entry 0 (always offset 0) is a hole of zeros; entry 1 points at the line of seq 257.
    const index = await readFile(files.index);
    expect(index.length).toBe(16);
    expect(index.readBigUInt64LE(0)).toBe(0n);
    const data = await readFile(files.data);
    const offset = Number(index.readBigUInt64LE(8));
    const prefix = `{"seq":${INDEX_INTERVAL + 1},`;
    expect(data.subarray(offset, offset + prefix.length).toString()).toBe(prefix);
    const after = [];
    for await (const r of store.stream('fresh', { after: INDEX_INTERVAL, limit: 1 }))
      after.push(r.id);
    expect(after).toEqual([`evt-${INDEX_INTERVAL}`]);
    expect((await stat(files.data)).size).toBe(data.length);
  });
});

describe('out of file descriptors', () => {
  it('shrinks the handle cache instead of failing when the process limit is below maxOpenFiles', async () => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const script = fileURLToPath(new URL('./fixtures/many-sessions.mjs', import.meta.url));
    // A hard limit of 192 descriptors (loading the modules needs ~128): Node cannot raise it;
    // maxOpenFiles asks for 1,000 and 400 sessions are written in every batch.
    const command = 'ulimit -n 192 && exec "$0" "$@"';
    const child = spawn('sh', ['-c', command, process.execPath, script, root.path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const report = JSON.parse(out) as { sessions: number; seqs: number[]; duplicates: number };
    expect(report.sessions).toBe(400);
    expect(report.seqs).toEqual([1, 2, 3]);
    expect(report.duplicates).toBe(400);
  });
});
