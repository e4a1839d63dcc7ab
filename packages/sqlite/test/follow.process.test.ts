import { startReadyChild } from '@history/test-services/ready-child';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

const appendLoop = new URL('./fixtures/append-loop.mjs', import.meta.url).pathname;

/** A child appending `count` envelopes to `sessionId` once told to go; resolves when it is ready. */
const startWriter = (filename: string, sessionId: string, prefix: string, count: number) =>
  startReadyChild(appendLoop, [filename, sessionId, prefix, String(count), '4'], {
    WAIT_FOR_GO: '1',
  });

describe('following a session across processes', () => {
  let cleanup: () => void = () => {};
  afterEach(() => cleanup());

  it('a follower sees every event two writer processes commit, once each, in seq order, woken by the data_version check', async () => {
    const db = tempDb();
    cleanup = db.cleanup;
    // Reads again only once a minute on its own: the data_version check is what wakes it.
    const store = await createSqliteHistoryStore({ filename: db.filename, followPollMs: 60_000 });
    try {
      const perWriter = 150;
      const writers = [
        await startWriter(db.filename, 's1', 'a', perWriter),
        await startWriter(db.filename, 's1', 'b', perWriter),
      ];
      const controller = new AbortController();
      const seen: { seq: number; id: string }[] = [];
      const following = (async () => {
        for await (const r of store.stream('s1', { follow: true, signal: controller.signal })) {
          seen.push({ seq: r.seq, id: r.id });
          if (seen.length === 2 * perWriter) controller.abort();
        }
      })();
      for (const { child } of writers) child.stdin!.end('go\n');
      for (const { exited } of writers) expect((await exited)[0]).toBe(0);
      await following;
      expect(seen.map((r) => r.seq)).toEqual(
        Array.from({ length: 2 * perWriter }, (_, i) => i + 1),
      );
      const expected = ['a', 'b'].flatMap((p) =>
        Array.from({ length: perWriter }, (_, n) => `${p}-${n}`),
      );
      expect(seen.map((r) => r.id).sort()).toEqual(expected.sort());
    } finally {
      await store.close();
    }
  });
});
