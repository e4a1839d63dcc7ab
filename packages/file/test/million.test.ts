import { stat } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { envelope } from '@history/contract-tests';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { tempRoot } from './temp-root.js';

// Live memory is what must stay bounded; sample it after a full GC, not mid-garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const COUNT = 1_000_000;
const CHUNK = 20_000;
let root: Awaited<ReturnType<typeof tempRoot>> | undefined;
afterAll(() => root?.remove());

describe('a 1,000,000-event session', () => {
  it('is written through appendMany and streamed back with bounded memory', async () => {
    root = await tempRoot();
    const writer = await createFileHistoryStore({ root: root.path });
    for (let i = 0; i < COUNT; i += CHUNK) {
      const batch = [];
      for (let k = i + 1; k <= i + CHUNK; k++) {
        batch.push(
          envelope(k, {
            sessionId: 'huge',
            payload: { k, text: 'some transcript text for this event' },
          }),
        );
      }
      await writer.appendMany(batch);
    }
    await writer.close(); // drops the writer's id map: what remains is the reader's own memory

    const { size } = await stat(sessionFiles(root.path, 'huge').data);
    expect(size).toBeGreaterThan(150 * 1024 * 1024);

    const store = await createFileHistoryStore({ root: root.path });
    gc();
    const start = process.memoryUsage();
    let peak = 0;
    let count = 0;
    let expected = 1;
    for await (const r of store.stream('huge')) {
      if (r.seq !== expected++) throw new Error(`seq ${r.seq} out of order`);
      if (++count % 100_000 === 0) {
        gc();
        const now = process.memoryUsage();
        peak = Math.max(
          peak,
          now.heapUsed + now.arrayBuffers - start.heapUsed - start.arrayBuffers,
        );
      }
    }
    expect(count).toBe(COUNT);
    console.log(`1M-event stream: peak live memory growth ${(peak / 2 ** 20).toFixed(1)} MiB`);
    // Generous bound, far below the file size: the file is never held in memory.
    expect(peak).toBeLessThan(32 * 1024 * 1024);

    const deep = [];
    for await (const r of store.stream('huge', { after: COUNT - 3 })) deep.push(r.seq);
    expect(deep).toEqual([COUNT - 2, COUNT - 1, COUNT]);
    const tail = [];
    for await (const r of store.stream('huge', { direction: 'backward', limit: 2 }))
      tail.push(r.id);
    expect(tail).toEqual([`evt-${COUNT}`, `evt-${COUNT - 1}`]);
    await store.close();
  }, 120_000);
});
