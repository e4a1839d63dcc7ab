import { startReadyChild } from '@history/test-services/ready-child';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

const loop = new URL('./fixtures/conditional-loop.mjs', import.meta.url).pathname;

/** Starts a child running `conditional-loop.mjs`; resolves with it once it says `ready`. */
const start = (filename: string, prefix: string, count: number) =>
  startReadyChild(loop, [filename, 'turns', prefix, String(count)]);

describe('conditional appends from two processes', () => {
  let cleanup: () => void = () => {};
  afterEach(() => cleanup());

  it('commit each append exactly after the seq it expected, whoever wins each race', async () => {
    const db = tempDb();
    cleanup = db.cleanup;
    const count = 60;
    const children = [await start(db.filename, 'a', count), await start(db.filename, 'b', count)];
    for (const { child } of children) child.stdin!.end('go\n');
    for (const { exited } of children) expect((await exited)[0]).toBe(0);

    const acks = children.flatMap(({ output }) =>
      output()
        .split('\n')
        .filter((line) => line.startsWith('ack '))
        .map((line) => line.split(' ').slice(1).map(Number) as [number, number]),
    );
    expect(acks).toHaveLength(2 * count);
    // Each committed append landed right after the seq it read: no two won the same race.
    for (const [expected, seq] of acks) expect(seq).toBe(expected + 1);
    expect(acks.map(([, seq]) => seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 2 * count }, (_, i) => i + 1),
    );
    const store = await createSqliteHistoryStore({ filename: db.filename });
    try {
      expect(await store.getSession('turns')).toMatchObject({
        lastSeq: 2 * count,
        eventCount: 2 * count,
      });
    } finally {
      await store.close();
    }
  });
});
