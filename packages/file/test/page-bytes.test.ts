import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  collectPages,
  DEFAULT_PAGE_BUDGET,
  expectPagedRanges,
  largeEnvelopes,
  PAGED_RANGE_BYTES,
  pageBudgetProblems,
  pagedEnvelopes,
} from '@history/contract-tests';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { type Cleanups, openBackendStore } from './backend-store.js';
import { tempRoot } from './temp-root.js';

// Live memory is what must stay bounded; sample it after a full GC, not mid-garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freshRoot(): Promise<string> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  return root.path;
}

/** A backend on `root` with `options`, and a store on it to append with. */
const openBackend = (root: string, options: Record<string, unknown> = {}) =>
  openBackendStore(cleanups, options, root);

describe('stream pages are bounded by bytes', () => {
  it('pages of 800 KiB envelopes stay within the default budget (4 MiB), each record once', async () => {
    const { backend, store } = await openBackend(await freshRoot());
    for (let i = 0; i < 24; i += 8) await store.appendMany(largeEnvelopes(8, i + 1));
    const pages = await collectPages(backend.readPages('s1', { direction: 'forward' }));
    expect(pages.flat().map((r) => r.seq)).toEqual(Array.from({ length: 24 }, (_, k) => k + 1));
    expect(pageBudgetProblems(pages, { pageBytes: DEFAULT_PAGE_BUDGET, pageSize: 256 })).toEqual(
      [],
    );
  });

  it('honours after, limit, time bounds and direction across byte-bounded pages', async () => {
    const { backend, store } = await openBackend(await freshRoot(), {
      pageBytes: PAGED_RANGE_BYTES,
    });
    await store.appendMany(pagedEnvelopes());
    await expectPagedRanges((range) => backend.readPages('s1', range), 256);
  });

  it('streaming 60 envelopes of 800 KiB holds a few pages, not the session, in memory', async () => {
    const root = await freshRoot();
    const writer = await createFileHistoryStore({ root });
    for (let i = 0; i < 60; i += 10) await writer.appendMany(largeEnvelopes(10, i + 1));
    await writer.close();

    const store = await createFileHistoryStore({ root });
    cleanups.push(() => store.close());
    gc();
    const start = process.memoryUsage();
    let peak = 0;
    let count = 0;
    for await (const _ of store.stream('s1')) {
      count++;
      gc();
      const now = process.memoryUsage();
      peak = Math.max(peak, now.heapUsed + now.arrayBuffers - start.heapUsed - start.arrayBuffers);
    }
    expect(count).toBe(60);
    console.log(`60 x 800 KiB stream: peak live memory growth ${(peak / 2 ** 20).toFixed(1)} MiB`);
    // 48 MiB streamed: the page being consumed, the one read ahead and a read chunk, at most.
    expect(peak).toBeLessThan(20 * 1024 * 1024);
  });
});
