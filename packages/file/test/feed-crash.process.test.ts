import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envelope, toArray } from '@history/contract-tests';
import type { FeedEntry, HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FEED_FILE } from '../src/feed-file.js';
import { createFileHistoryStore } from '../src/index.js';
import { runFixture } from './child-process.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const key = (e: FeedEntry) => `${e.record.sessionId}/${e.record.seq}/${e.record.id}`;

/** What the session files hold: every record of every session, by stream. */
async function storedKeys(store: HistoryStore, sessions: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const sessionId of sessions) {
    for (const r of await toArray(store.stream(sessionId)))
      keys.push(`${sessionId}/${r.seq}/${r.id}`);
  }
  return keys;
}

/** The feed agrees with the session files: each stored record once, sessions in seq order. */
async function expectFeedMatchesFiles(store: HistoryStore, sessions: string[]) {
  const feed = await toArray(store.feed());
  expect(new Set(feed.map(key)).size).toBe(feed.length);
  expect(feed.map(key).sort()).toEqual((await storedKeys(store, sessions)).sort());
  for (const sessionId of sessions) {
    const seqs = feed.filter((e) => e.record.sessionId === sessionId).map((e) => e.record.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }
  return feed;
}

describe('the feed index after a SIGKILL mid-batch', () => {
  const steps = ['before-line', 'torn-line', 'after-line'] as const;
  for (const durability of ['os', 'fsync'] as const) {
    for (const step of steps) {
      it(`agrees with the session files (killed ${step}, durability: ${durability})`, async () => {
        const root = await tempRoot();
        cleanups.push(root.remove);
        const child = runFixture('feed-and-die.mjs', [root.path, step, durability]);
        await child.waitFor((line) => line === `dying ${step}`);
        expect((await child.exited).signal).toBe('SIGKILL');
        const acked = child.lines.filter((l) => l.startsWith('acked ')).map((l) => l.slice(6));
        expect(acked).toHaveLength(100);

        const store = await createFileHistoryStore({ root: root.path, durability });
        try {
          const sessions = ['s0', 's1', 's2'];
          const feed = await expectFeedMatchesFiles(store, sessions);
          // The killed batch's lines were all written before the feed's: they are there too.
          expect(feed).toHaveLength(106);
          const byKey = feed.map((e) => `${e.record.sessionId} ${e.record.id} ${e.record.seq}`);
          // Acknowledged batches keep their commit order, first in the feed.
          expect(byKey.slice(0, 100)).toEqual(acked);
          // Positions resume: after the recovered records, new ones follow, once.
          const last = feed.at(-1)!.position;
          await store.append(envelope(1, { id: 'after', sessionId: 's1' }));
          const rest = await toArray(store.feed({ after: last }));
          // s1: two acknowledged batches of 20 and the killed batch's 2.
          expect(rest.map(key)).toEqual(['s1/43/after']);
        } finally {
          await store.close();
        }
        // Reconciled and closed: the index ends with a clean mark.
        const text = await readFile(join(root.path, FEED_FILE), 'utf8');
        expect(text.trimEnd().split('\n').at(-1)).toMatch(/^\{"next":\d+\}$/);
      }, 60_000);
    }
  }

  it('keeps every acknowledged append in the feed exactly once (16 callers, SIGKILL)', async () => {
    const root = await tempRoot();
    cleanups.push(root.remove);
    const child = runFixture('ingest-forever.mjs', [root.path, 'os', 'single']);
    await child.waitFor(() => child.lines.length >= 3000);
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    const acked = child.lines.map((line) => line.split(' ').slice(0, 3).join(' '));
    const store = await createFileHistoryStore({ root: root.path });
    try {
      const feed = await expectFeedMatchesFiles(store, ['crash-0', 'crash-1', 'crash-2']);
      const inFeed = new Set(
        feed.map((e) => `${e.record.sessionId} ${e.record.id} ${e.record.seq}`),
      );
      for (const ack of acked) expect(inFeed.has(ack), ack).toBe(true);
    } finally {
      await store.close();
    }
  }, 60_000);
});
