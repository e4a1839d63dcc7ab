import { readdir } from 'node:fs/promises';
import { envelope, envelopes, toArray } from '@history/contract-tests';
import type { HistoryRecord, HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { filesContaining } from './files-under.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function open(
  durability: 'os' | 'fsync' = 'os',
): Promise<{ root: string; store: HistoryStore }> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  const store = await createFileHistoryStore({ root: root.path, durability });
  cleanups.unshift(() => store.close());
  return { root: root.path, store };
}

const seqs = (records: HistoryRecord[]) => records.map((r) => r.seq);
/** Expired since 2020: occurred then, lived a second. */
const EXPIRED = { occurredAt: '2020-01-01T00:00:00.000Z', ttlMs: 1000 };

describe('file lifecycle: what only files have', () => {
  for (const durability of ['os', 'fsync'] as const) {
    it(`deleteSession leaves no byte of the erased events anywhere under the root (${durability})`, async () => {
      const { root, store } = await open(durability);
      const gone = 'MARKER-gone-7f3a';
      const kept = 'MARKER-kept-19c2';
      // Over 256 events so the session has an index file too; a checkpoint carries the marker.
      await store.appendMany(
        Array.from({ length: 300 }, (_, k) =>
          envelope(k, { sessionId: 'gone', payload: { k, text: gone } }),
        ),
      );
      await store.checkpoint('gone', { text: gone });
      await store.append(envelope(1, { sessionId: 'kept', payload: { text: kept } }));
      expect(await store.deleteSession('gone')).toEqual({ deletedEvents: 300 });
      await store.close();
      expect(await filesContaining(root, gone)).toEqual([]);
      expect(await filesContaining(root, kept)).toHaveLength(1);
    });
  }

  it('purgeExpired rewrites the session: no byte of a purged event remains, the rest stays', async () => {
    const { root, store } = await open();
    const gone = 'MARKER-expired-5b1e';
    await store.appendMany([
      envelope(1, { sessionId: 's', id: 'a' }),
      envelope(2, { sessionId: 's', id: 'b', ...EXPIRED, payload: { text: gone } }),
      envelope(3, { sessionId: 's', id: 'c' }),
    ]);
    expect(await store.purgeExpired()).toEqual({ deletedEvents: 1, sessions: 1, done: true });
    expect(seqs(await toArray(store.stream('s')))).toEqual([1, 3]);
    expect(await store.getSession('s')).toMatchObject({ lastSeq: 3, eventCount: 2 });
    // A purged id appended again is a new event.
    expect(await store.append(envelope(2, { sessionId: 's', id: 'b' }))).toMatchObject({
      seq: 4,
      duplicate: false,
    });
    await store.close();
    expect(await filesContaining(root, gone)).toEqual([]);
    // No temp file is left beside the session's files.
    expect((await readdir(`${root}/sessions`)).filter((name) => name.endsWith('.compact'))).toEqual(
      [],
    );
  });

  it('seeks right with seq gaps after a compaction, forward and backward, before and after reopening', async () => {
    const { root, store } = await open();
    // 1,000 events, every third expired: gaps everywhere, several index blocks.
    const count = 1000;
    await store.appendMany(
      Array.from({ length: count }, (_, k) =>
        envelope(k, { sessionId: 'gaps', id: `e${k + 1}`, ...(k % 3 === 1 ? EXPIRED : {}) }),
      ),
    );
    let done = false;
    while (!done) ({ done } = await store.purgeExpired({ limit: 100 }));
    const alive = Array.from({ length: count }, (_, k) => k + 1).filter((s) => (s - 1) % 3 !== 1);
    const check = async (s: HistoryStore) => {
      expect(seqs(await toArray(s.stream('gaps')))).toEqual(alive);
      for (const after of [1, 2, 3, 255, 256, 257, 400, 511, 512, 513, 700, 999, 1000]) {
        const forward = alive.filter((seq) => seq > after).slice(0, 5);
        expect(seqs(await toArray(s.stream('gaps', { after, limit: 5 })))).toEqual(forward);
        const backward = alive
          .filter((seq) => seq < after)
          .reverse()
          .slice(0, 5);
        const got = await toArray(s.stream('gaps', { after, direction: 'backward', limit: 5 }));
        expect(seqs(got)).toEqual(backward);
      }
    };
    await check(store);
    // Appends after the compaction continue the seqs and extend the rebuilt index.
    await store.appendMany(
      Array.from({ length: 300 }, (_, k) => envelope(k, { sessionId: 'gaps', id: `late-${k}` })),
    );
    alive.push(...Array.from({ length: 300 }, (_, k) => count + k + 1));
    await check(store);
    await store.close();
    const reopened = await createFileHistoryStore({ root });
    try {
      await check(reopened);
      expect(await reopened.getSession('gaps')).toMatchObject({
        lastSeq: 1300,
        eventCount: alive.length,
      });
    } finally {
      await reopened.close();
    }
  });

  it('purges in bounded chunks, each a consistent state', async () => {
    const { store } = await open();
    await store.appendMany(
      Array.from({ length: 50 }, (_, k) => envelope(k, { sessionId: 'chunks', ...EXPIRED })),
    );
    await store.append(envelope(99, { sessionId: 'chunks', id: 'alive' }));
    const first = await store.purgeExpired({ limit: 20 });
    expect(first).toEqual({ deletedEvents: 20, sessions: 1, done: false });
    expect(await store.getSession('chunks')).toMatchObject({ lastSeq: 51, eventCount: 31 });
    let total = first.deletedEvents;
    for (let done = false; !done; ) {
      const next = await store.purgeExpired({ limit: 20 });
      total += next.deletedEvents;
      done = next.done;
    }
    expect(total).toBe(50);
    expect(await store.getSession('chunks')).toMatchObject({ lastSeq: 51, eventCount: 1 });
    expect((await toArray(store.stream('chunks'))).map((r) => r.id)).toEqual(['alive']);
  });

  it('purges a session while it is appended to: no append lost, no expired event kept', async () => {
    const { store } = await open();
    await store.appendMany(
      Array.from({ length: 2000 }, (_, k) =>
        envelope(k, { sessionId: 'busy', id: `old-${k}`, ...(k % 2 === 0 ? EXPIRED : {}) }),
      ),
    );
    // Appends are started while the purge runs (core serialises neither against the other).
    const appends: Array<Promise<unknown>> = [];
    const purge = (async () => {
      let total = 0;
      for (let done = false; !done; ) {
        appends.push(
          store.append(
            envelope(appends.length, { sessionId: 'busy', id: `new-${appends.length}` }),
          ),
        );
        const chunk = await store.purgeExpired({ limit: 300 });
        total += chunk.deletedEvents;
        done = chunk.done;
      }
      return total;
    })();
    for (let k = 0; k < 200; k++) {
      appends.push(store.append(envelope(k, { sessionId: 'busy', id: `during-${k}` })));
    }
    await Promise.all(appends);
    expect(await purge).toBe(1000);
    const records = await toArray(store.stream('busy'));
    const ids = new Set(records.map((r) => r.id));
    expect(records).toHaveLength(1000 + appends.length);
    for (let k = 1; k < 2000; k += 2) expect(ids.has(`old-${k}`)).toBe(true);
    for (let k = 0; k < 200; k++) expect(ids.has(`during-${k}`)).toBe(true);
    // Seqs still only grow, and the writer's state agrees with the file after a reopen.
    const s = seqs(records);
    expect(s).toEqual([...s].sort((a, b) => a - b));
    expect(await store.getSession('busy')).toMatchObject({
      lastSeq: 2000 + appends.length,
      eventCount: records.length,
    });
  });

  it('a deleted session recreated continues after its tombstone, also after reopening', async () => {
    const { root, store } = await open();
    await store.appendMany(envelopes(5, { sessionId: 'again' }));
    await store.deleteSession('again');
    expect(await store.getSession('again')).toBeNull();
    expect(await toArray(store.listSessions())).toEqual([]);
    await store.close();
    const reopened = await createFileHistoryStore({ root });
    try {
      expect(
        await reopened.append(envelope(1, { sessionId: 'again' }), { expectedSeq: 0 }),
      ).toMatchObject({
        seq: 6,
        duplicate: false,
      });
      expect(await reopened.getSession('again')).toMatchObject({ lastSeq: 6, eventCount: 1 });
    } finally {
      await reopened.close();
    }
  });

  it('deletes and recreates sessions with long and non-BMP ids (nested directories), listed in byte order', async () => {
    const { root, store } = await open();
    const long = `${'é'.repeat(200)}-long`; // 406 UTF-8 bytes: three path segments
    const ids = [long, 'z', '😀', '\uffff'];
    for (const sessionId of ids) await store.appendMany(envelopes(3, { sessionId }));
    // UTF-8 byte order: 'z' < 'é…' < U+FFFF < U+1F600 (UTF-16 order would put 😀 before U+FFFF).
    const listed = async () => (await toArray(store.listSessions())).map((s) => s.sessionId);
    expect(await listed()).toEqual(['z', long, '\uffff', '😀']);
    expect(await store.deleteSession(long)).toEqual({ deletedEvents: 3 });
    expect(await listed()).toEqual(['z', '\uffff', '😀']);
    expect(await store.append(envelope(1, { sessionId: long }))).toMatchObject({
      seq: 4,
      duplicate: false,
    });
    expect(await listed()).toEqual(['z', long, '\uffff', '😀']);
    await store.close();
    const reopened = await createFileHistoryStore({ root });
    try {
      expect((await toArray(reopened.listSessions({ prefix: 'é' }))).map((s) => s.lastSeq)).toEqual(
        [4],
      );
    } finally {
      await reopened.close();
    }
  });
});
