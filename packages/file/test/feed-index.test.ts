import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envelope, envelopes, toArray } from '@history/contract-tests';
import type { FeedEntry, HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FEED_FILE } from '../src/feed-file.js';
import { isFeedPosition } from '../src/feed-position.js';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function open(root?: string): Promise<{ root: string; store: HistoryStore }> {
  let path = root;
  if (!path) {
    const made = await tempRoot();
    cleanups.push(made.remove);
    path = made.path;
  }
  const store = await createFileHistoryStore({ root: path });
  return { root: path, store };
}

const keys = (entries: FeedEntry[]) =>
  entries.map((e) => `${e.record.sessionId}/${e.record.seq}/${e.record.id}`);
const feedLines = async (root: string) =>
  (await readFile(join(root, FEED_FILE), 'utf8')).trimEnd().split('\n');

describe('the feed index file', () => {
  it('gets one line per session a batch wrote, with no event data', async () => {
    const { root, store } = await open();
    await store.appendMany([
      ...envelopes(3, { sessionId: 'a', payload: { secret: 'PAYLOAD-MARK' } }),
      ...envelopes(2, { sessionId: 'b' }, 10),
    ]);
    await store.append(envelope(20, { sessionId: 'a' }));
    // Duplicates write nothing: no line.
    await store.append(envelope(20, { sessionId: 'a' }));
    await store.close();
    const lines = await feedLines(root);
    // The empty root's mark, the two batches' three runs, the close's mark.
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { next: 1 },
      [1, 1, 3, 0, expect.any(Number), 'a'],
      [4, 1, 2, 0, expect.any(Number), 'b'],
      [6, 4, 1, expect.any(Number), expect.any(Number), 'a'],
      { next: 7 },
    ]);
    expect(lines.join('\n')).not.toContain('PAYLOAD-MARK');
  });

  it('keeps positions across a reopen, and new records come after them', async () => {
    const { root, store } = await open();
    await store.appendMany(envelopes(5, { sessionId: 'a' }));
    await store.append(envelope(9, { sessionId: 'b' }));
    const before = await toArray(store.feed());
    await store.close();
    const { store: again } = await open(root);
    try {
      expect(await toArray(again.feed())).toEqual(before);
      await again.append(envelope(10, { sessionId: 'a' }));
      const rest = await toArray(again.feed({ after: before.at(-1)!.position }));
      expect(keys(rest)).toEqual(['a/6/evt-10']);
      expect(Number(rest[0]!.position)).toBeGreaterThan(Number(before.at(-1)!.position));
    } finally {
      await again.close();
    }
  });

  it('reads a purged session by seq: kept records at their old positions, purged ones passed over', async () => {
    const { store } = await open();
    const expired = { occurredAt: '2020-01-01T00:00:00.000Z', ttlMs: 1000 };
    // 600 lines: the rewrite moves every kept line, and the session index is used.
    await store.appendMany(
      Array.from({ length: 600 }, (_, k) =>
        envelope(k, { sessionId: 'p', ...(k % 3 === 0 ? expired : {}) }),
      ),
    );
    await store.append(envelope(1000, { sessionId: 'q' }));
    const before = await toArray(store.feed());
    expect(before).toHaveLength(401);
    expect(await store.purgeExpired()).toMatchObject({ deletedEvents: 200 });
    try {
      expect(await toArray(store.feed())).toEqual(before);
      expect(await toArray(store.feed({ after: before[250]!.position }))).toEqual(
        before.slice(251),
      );
    } finally {
      await store.close();
    }
  });

  it("drops deleted sessions' runs from the file once they are half of it", async () => {
    const { root, store } = await open();
    for (let k = 0; k < 1100; k++) await store.append(envelope(k, { sessionId: 'gone-session' }));
    await store.appendMany(envelopes(3, { sessionId: 'kept' }, 5000));
    const before = await toArray(store.feed());
    await store.deleteSession('gone-session');
    expect(await readFile(join(root, FEED_FILE), 'utf8')).not.toContain('gone-session');
    const after = await toArray(store.feed());
    expect(after).toEqual(before.slice(1100));
    // Recreated: its new life comes later in the feed, after the tombstone's seqs.
    await store.append(envelope(1, { sessionId: 'gone-session', id: 'new' }));
    expect(keys(await toArray(store.feed({ after: after.at(-1)!.position })))).toEqual([
      'gone-session/1101/new',
    ]);
    await store.close();
  }, 60_000);

  it('reconciles a torn last line and lines the index missed when opened after a crash', async () => {
    const { root, store } = await open();
    await store.appendMany(envelopes(4, { sessionId: 'a' }));
    await store.appendMany(envelopes(2, { sessionId: 'b' }, 10));
    await store.close();
    // As a crash leaves it: the close's mark and the last batch's run gone, half a line after.
    const lines = await feedLines(root);
    await writeFile(join(root, FEED_FILE), `${lines.slice(0, -2).join('\n')}\n[7,1,`);
    const { store: again } = await open(root);
    try {
      expect(keys(await toArray(again.feed()))).toEqual([
        'a/1/evt-1',
        'a/2/evt-2',
        'a/3/evt-3',
        'a/4/evt-4',
        'b/1/evt-10',
        'b/2/evt-11',
      ]);
    } finally {
      await again.close();
    }
  });

  it('cuts runs whose lines a crash lost, so a seq handed out again is delivered once', async () => {
    const { root, store } = await open();
    await store.appendMany(envelopes(2, { sessionId: 'a' }));
    await store.appendMany(envelopes(3, { sessionId: 'a' }, 10));
    await store.close();
    // A power loss kept the index's line of the second batch but not the session's lines.
    const data = sessionFiles(root, 'a').data;
    const text = await readFile(data, 'utf8');
    await truncate(data, Buffer.byteLength(text.split('\n').slice(0, 2).join('\n')) + 1);
    const lines = await feedLines(root);
    await writeFile(join(root, FEED_FILE), `${lines.slice(0, -1).join('\n')}\n`);
    const { store: again } = await open(root);
    try {
      await again.append(envelope(20, { sessionId: 'a' }));
      expect(keys(await toArray(again.feed()))).toEqual(['a/1/evt-1', 'a/2/evt-2', 'a/3/evt-20']);
    } finally {
      await again.close();
    }
  });

  it('refuses an index with an unreadable line before good ones', async () => {
    const { root, store } = await open();
    await store.append(envelope(1, { sessionId: 'a' }));
    await store.close();
    const lines = await feedLines(root);
    await writeFile(join(root, FEED_FILE), `${lines[0]}\ngarbage\n${lines.slice(1).join('\n')}\n`);
    await expect(open(root)).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
  });

  it('isFeedPosition accepts the decimal form of a safe integer only', () => {
    for (const ok of ['0', '1', '42', '9007199254740991'])
      expect(isFeedPosition(ok), ok).toBe(true);
    for (const bad of ['', '-1', '01', '1.5', '1e3', ' 1', '0x10', '9007199254740992', 'a']) {
      expect(isFeedPosition(bad), bad).toBe(false);
    }
  });
});
