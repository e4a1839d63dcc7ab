import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { envelope } from '@history/contract-tests';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore, listFileSessions } from '../src/index.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const hostile = [
  '../../etc/passwd',
  '../outside',
  '/',
  '/tmp/abs',
  '\\',
  '..\\..\\windows',
  '..',
  '.',
  'CON',
  'aux.txt',
  'nul',
  'Session',
  'session',
  'SESSION',
  'Ünïcödé 🎉 日本語',
  'new\nline\ttab',
  'x'.repeat(512),
  '🎉'.repeat(128),
  `${'y'.repeat(200)}`,
  `${'y'.repeat(200)}z`,
];

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(path);
    if (entry.isDirectory()) out.push(...(await walk(path)));
  }
  return out;
}

describe('hostile session ids', () => {
  it('stores each as its own session, writes nothing outside root, and lists them back', async () => {
    // The store root sits inside a parent we own, so anything escaping it would show up there.
    const parent = await tempRoot();
    cleanups.push(parent.remove);
    const root = join(parent.path, 'store');
    const store = await createFileHistoryStore({ root });
    for (const [i, sessionId] of hostile.entries()) {
      await store.append(envelope(i, { sessionId, payload: { sessionId } }));
      await store.checkpoint(sessionId, { i }, { seq: 1 });
    }
    for (const [i, sessionId] of hostile.entries()) {
      const records = [];
      for await (const r of store.stream(sessionId)) records.push(r);
      expect(records.map((r) => [r.id, r.seq, r.sessionId])).toEqual([[`evt-${i}`, 1, sessionId]]);
      expect(records[0]!.envelope.payload).toEqual({ sessionId });
      expect(await store.getCheckpoint(sessionId)).toMatchObject({ payload: { i }, seq: 1 });
    }
    await store.close();

    expect(await readdir(parent.path)).toEqual(['store']);
    const paths = await walk(root);
    for (const path of paths) {
      const rel = relative(root, path);
      expect(rel.startsWith('..')).toBe(false);
      for (const name of rel.split('/')) {
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
        // Lowercase base32 segments with a fixed prefix, or the store's own files.
        expect(name).toMatch(
          /^(s[a-z2-7]+(\.jsonl|\.idx|\.checkpoint\.json)?|sessions|history-file\.json|feed\.idx)$/,
        );
      }
      if ((await stat(path)).isFile())
        expect(
          rel.startsWith('sessions/') || rel === 'history-file.json' || rel === 'feed.idx',
        ).toBe(true);
    }
    // No two sessions collide, even on a case-insensitive file system.
    const dataFiles = paths.filter((p) => p.endsWith('.jsonl')).map((p) => p.toLowerCase());
    expect(new Set(dataFiles).size).toBe(hostile.length);

    const listed = [];
    for await (const id of listFileSessions(root)) listed.push(id);
    expect(listed.sort()).toEqual([...hostile].sort());
  });

  it('rejects ids no file name can hold, before anything is written', async () => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const store = await createFileHistoryStore({ root: root.path });
    const base = { id: 'e', type: 't', payload: 1, occurredAt: new Date().toISOString() };
    await expect(store.append({ ...base, sessionId: 'a\0b' })).rejects.toMatchObject({
      code: 'HISTORY_INVALID_ENVELOPE',
      field: 'sessionId',
    });
    await expect(store.append({ ...base, sessionId: 'x'.repeat(4096) })).rejects.toMatchObject({
      code: 'HISTORY_INVALID_ENVELOPE',
    });
    expect(() => store.stream('\0')).toThrow(
      expect.objectContaining({ code: 'HISTORY_INVALID_ARGUMENT' }),
    );
    await store.close();
    expect(await readdir(join(root.path, 'sessions'))).toEqual([]);
  });
});
