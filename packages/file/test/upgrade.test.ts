import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { envelope, toArray } from '@history/contract-tests';
import type { HistoryRecord, HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { seekLineAtMost } from '../src/session-index.js';
import { tempRoot } from './temp-root.js';

// Written by the released code (commit 5ef4f53, layout 1) with test/fixtures/make-v1-fixture.mjs.
const FIXTURE = fileURLToPath(new URL('./fixtures/v1-root', import.meta.url));
// Written by layout 2 (the commit before the feed) with test/fixtures/make-v2-fixture.mjs.
const FIXTURE_V2 = fileURLToPath(new URL('./fixtures/v2-root', import.meta.url));
const LONG = `long-${'x'.repeat(200)}`;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function openCopy(fixture = FIXTURE): Promise<{ root: string; store: HistoryStore }> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  await cp(fixture, root.path, { recursive: true });
  const store = await createFileHistoryStore({ root: root.path });
  cleanups.unshift(() => store.close());
  return { root: root.path, store };
}

const ids = (records: HistoryRecord[]) => records.map((r) => r.id);

describe('a root written by layout 1 (the released 5ef4f53)', () => {
  it('opens with nothing lost: every event, seq, cursor and checkpoint as written', async () => {
    const { root, store } = await openCopy();
    const alpha = await toArray(store.stream('alpha'));
    expect(alpha.map((r) => r.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(ids(alpha)).toEqual(Array.from({ length: 600 }, (_, i) => `alpha-${i + 1}`));
    // Old cursors: `after` past the first index block uses the layout-1 `.idx` file as is.
    expect(ids(await toArray(store.stream('alpha', { after: 257, limit: 2 })))).toEqual([
      'alpha-258',
      'alpha-259',
    ]);
    const back = await toArray(
      store.stream('alpha', { after: 260, direction: 'backward', limit: 2 }),
    );
    expect(ids(back)).toEqual(['alpha-259', 'alpha-258']);
    expect(ids(await toArray(store.stream('alpha', { after: 520, limit: 1 })))).toEqual([
      'alpha-521',
    ]);
    expect(ids(await toArray(store.stream(LONG)))).toEqual(['long-xxx-1', 'long-xxx-2']);
    expect(ids(await toArray(store.stream('emoji-😀')))).toEqual(['emoji-😀-1']);
    expect(await store.getCheckpoint('alpha')).toMatchObject({ payload: { upTo: 600 }, seq: 600 });
    const marker = JSON.parse(await readFile(`${root}/history-file.json`, 'utf8'));
    expect(marker).toEqual({ format: '@history/file', version: 3, upgradedFrom: 1 });
  });

  it('honours the ttl of old events: expired ones are not streamed, then purged', async () => {
    const { store } = await openCopy();
    // ttl-2 and ttl-5 expired on 2026-01-01; ttl-4 lasts a century; layout 1 stored no expiry.
    expect(ids(await toArray(store.stream('ttl')))).toEqual(['ttl-1', 'ttl-3', 'ttl-4']);
    expect(await store.getSession('ttl')).toMatchObject({ lastSeq: 5, eventCount: 5 });
    const purged = await store.purgeExpired();
    expect(purged).toEqual({ deletedEvents: 2, sessions: 1, done: true });
    expect(await store.getSession('ttl')).toMatchObject({ lastSeq: 5, eventCount: 3 });
    expect((await toArray(store.stream('ttl'))).map((r) => r.seq)).toEqual([1, 3, 4]);
  });

  it('lists the old sessions in code point order, with their counts and times', async () => {
    const { store } = await openCopy();
    const sessions = await toArray(store.listSessions());
    expect(sessions.map((s) => s.sessionId)).toEqual(['alpha', 'emoji-😀', LONG, 'ttl']);
    const alpha = sessions[0]!;
    expect(alpha).toMatchObject({ lastSeq: 600, eventCount: 600 });
    const first = (await toArray(store.stream('alpha', { limit: 1 })))[0]!;
    const last = (await toArray(store.stream('alpha', { direction: 'backward', limit: 1 })))[0]!;
    expect(alpha.createdAt).toBe(first.createdAt);
    expect(alpha.updatedAt).toBe(last.createdAt);
    expect(await store.getSession('only-checkpoint')).toBeNull();
  });

  it('deduplicates old ids and continues their seqs', async () => {
    const { root, store } = await openCopy();
    const again = await store.append(envelope(1, { id: 'alpha-600', sessionId: 'alpha' }));
    expect(again).toMatchObject({ seq: 600, duplicate: true });
    const fresh = await store.append(envelope(1, { id: 'alpha-601', sessionId: 'alpha' }));
    expect(fresh).toMatchObject({ seq: 601, duplicate: false });
    await store.close();
    // Reopening the upgraded root: the new line, the old ones and the marker stay.
    const reopened = await createFileHistoryStore({ root });
    try {
      expect((await toArray(reopened.stream('alpha', { after: 599 }))).map((r) => r.seq)).toEqual([
        600, 601,
      ]);
      expect(await reopened.getSession('alpha')).toMatchObject({ lastSeq: 601, eventCount: 601 });
    } finally {
      await reopened.close();
    }
  });

  it("reads layout 1's index as is: its entry for seq 257 is line 256's, where a seek starts", () => {
    const files = sessionFiles(FIXTURE, 'alpha');
    const fd = openSync(files.data, 'r');
    try {
      const offset = seekLineAtMost(files.index, fd, statSync(files.data).size, 300);
      const head = Buffer.alloc(12);
      readSync(fd, head, 0, head.length, offset);
      expect(offset).toBeGreaterThan(0);
      expect(head.toString('latin1')).toBe('{"seq":257,"');
    } finally {
      closeSync(fd);
    }
  });
});

/** Every record of every session, by stream: what the feed must hold. */
async function allRecords(store: HistoryStore): Promise<HistoryRecord[]> {
  const out: HistoryRecord[] = [];
  for await (const session of store.listSessions()) {
    out.push(...(await toArray(store.stream(session.sessionId))));
  }
  return out;
}

const keyOf = (r: HistoryRecord) => `${r.sessionId}/${r.seq}/${r.id}`;

describe('the feed of an upgraded root', () => {
  it('a layout-2 root gets a feed with every old event, in commit order, then new ones', async () => {
    const { root, store } = await openCopy(FIXTURE_V2);
    const marker = JSON.parse(await readFile(`${root}/history-file.json`, 'utf8'));
    expect(marker).toEqual({ format: '@history/file', version: 3, upgradedFrom: 2 });
    const feed = await toArray(store.feed());
    const stored = await allRecords(store);
    expect(feed.map((e) => e.record)).toHaveLength(stored.length);
    expect(feed.map((e) => keyOf(e.record)).sort()).toEqual(stored.map(keyOf).sort());
    // Batches in the order the fixture committed them (each a few ms after the one before).
    const order = feed.map((e) => e.record.sessionId).filter((id, k, ids) => id !== ids[k - 1]);
    expect(order).toEqual(['alpha', 'beta', 'alpha', 'purged', 'again', LONG, 'beta']);
    expect(feed.filter((e) => e.record.sessionId === 'alpha').map((e) => e.record.seq)).toEqual(
      Array.from({ length: 600 }, (_, i) => i + 1),
    );
    // The purged session's kept records, the recreated session's new life only.
    expect(feed.filter((e) => e.record.sessionId === 'purged').map((e) => e.record.seq)).toEqual([
      2, 4, 6, 8, 10,
    ]);
    expect(feed.filter((e) => e.record.sessionId === 'again').map((e) => e.record.seq)).toEqual([
      3, 4,
    ]);
    const fresh = await store.append(envelope(1, { id: 'new', sessionId: 'beta' }));
    const rest = await toArray(store.feed({ after: feed.at(-1)!.position }));
    expect(rest.map((e) => keyOf(e.record))).toEqual([`beta/${fresh.seq}/new`]);
  });

  it('a layout-1 root gets a feed with every old event that has not expired', async () => {
    const { store } = await openCopy();
    const feed = await toArray(store.feed());
    const stored = await allRecords(store);
    expect(stored).toHaveLength(600 + 3 + 2 + 1);
    expect(feed.map((e) => keyOf(e.record)).sort()).toEqual(stored.map(keyOf).sort());
  });
});
