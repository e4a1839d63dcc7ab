import type { FeedEntry } from '@history/core';
import { startReadyChild } from '@history/test-services/ready-child';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

const appendLoop = new URL('./fixtures/append-loop.mjs', import.meta.url).pathname;
const feedFollow = new URL('./fixtures/feed-follow.mjs', import.meta.url).pathname;

/** A child appending `count` envelopes round-robin to `sessions` once told to go. */
const startWriter = (filename: string, sessions: string, prefix: string, count: number) =>
  startReadyChild(appendLoop, [filename, sessions, prefix, String(count), '4'], {
    WAIT_FOR_GO: '1',
  });

describe('the feed across processes', () => {
  let cleanup: () => void = () => {};
  afterEach(() => cleanup());

  it('a follower process sees every event two writer processes commit, once each, in commit order, and resumes from any position', async () => {
    const db = tempDb();
    cleanup = db.cleanup;
    // Creates the schema before the children open the file.
    const store = await createSqliteHistoryStore({ filename: db.filename });
    try {
      const perWriter = 150;
      const total = 2 * perWriter;
      const follower = await startReadyChild(feedFollow, [db.filename, String(total)]);
      // Both write the shared session; each also has a session of its own.
      const writers = [
        await startWriter(db.filename, 'shared,only-a', 'a', perWriter),
        await startWriter(db.filename, 'shared,only-b', 'b', perWriter),
      ];
      for (const { child } of writers) child.stdin!.end('go\n');
      for (const { exited } of writers) expect((await exited)[0]).toBe(0);
      expect((await follower.exited)[0]).toBe(0);
      const seen = follower
        .output()
        .split('\n')
        .filter((line) => line.startsWith('entry '))
        .map((line) => {
          const [, position, sessionId, seq, id] = line.split(' ');
          return { position: position!, sessionId: sessionId!, seq: Number(seq), id: id! };
        });
      // Every acknowledged append, once.
      const acked = writers.flatMap((w) =>
        w
          .output()
          .split('\n')
          .filter((line) => line.startsWith('ack '))
          .map((line) => line.split(' ')[1]!),
      );
      expect(acked).toHaveLength(total);
      expect(seen.map((e) => e.id).sort()).toEqual([...acked].sort());
      // Each session's seqs in order, with no gap.
      for (const [sessionId, expected] of [
        ['shared', perWriter],
        ['only-a', perWriter / 2],
        ['only-b', perWriter / 2],
      ] as const) {
        expect(seen.filter((e) => e.sessionId === sessionId).map((e) => e.seq)).toEqual(
          Array.from({ length: expected }, (_, i) => i + 1),
        );
      }
      // Positions strictly increase: the order the follower saw is the order a fresh
      // reader of the file sees, and resuming from any position yields exactly the rest.
      const positions = seen.map((e) => Number(e.position));
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      expect(new Set(positions).size).toBe(total);
      const all: FeedEntry[] = [];
      for await (const e of store.feed()) all.push(e);
      const keyOf = (e: FeedEntry) => `${e.position} ${e.record.sessionId} ${e.record.seq}`;
      expect(all.map(keyOf)).toEqual(seen.map((e) => `${e.position} ${e.sessionId} ${e.seq}`));
      for (let k = 0; k < total; k++) {
        const rest: string[] = [];
        for await (const e of store.feed({ after: seen[k]!.position })) rest.push(keyOf(e));
        expect(rest).toEqual(all.slice(k + 1).map(keyOf));
      }
    } finally {
      await store.close();
    }
  });
});
