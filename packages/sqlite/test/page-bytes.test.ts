import {
  collectPages,
  DEFAULT_PAGE_BUDGET,
  type envelope,
  expectPagedRanges,
  largeEnvelopes,
  PAGED_RANGE_BYTES,
  pageBudgetProblems,
  pagedEnvelopes,
} from '@history/contract-tests';
import { createBackendStore, resolveStoreOptions } from '@history/core/backend';
import { afterEach, describe, expect, it } from 'vitest';
// The built package: worker threads load their entry file from dist.
import { createSqliteHistoryStore } from '../dist/index.js';
import { resolveSqliteConfig } from '../dist/options.js';
import { SqliteBackend } from '../dist/sqlite-backend.js';
import { createInlineRunner } from '../dist/threads/inline-runner.js';
import { createThreadRunner } from '../dist/threads/thread-runner.js';
import { tempDb } from './temp-db.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A migrated database holding `envelopes`, and a backend on it opened with `options`
 * (the store's own is closed first: the backend is read directly, to see its pages).
 */
async function backendWith(
  envelopes: ReturnType<typeof envelope>[],
  options: Record<string, unknown>,
): Promise<SqliteBackend> {
  const db = tempDb();
  cleanups.push(db.cleanup);
  const writer = await createSqliteHistoryStore({ filename: db.filename });
  for (let i = 0; i < envelopes.length; i += 8) await writer.appendMany(envelopes.slice(i, i + 8));
  await writer.close();
  const config = resolveSqliteConfig({ filename: db.filename, ...options });
  const runner = config.worker ? createThreadRunner(config) : createInlineRunner(config);
  const backend = new SqliteBackend(runner, config.pageSize, config.pageBytes);
  // Through a store, as users get it: its close() closes the backend.
  const store = createBackendStore(backend, resolveStoreOptions({}));
  cleanups.push(() => store.close());
  return backend;
}

const modes = [
  ['worker threads, first page on the main thread (default)', { worker: true }],
  ['worker threads only', { worker: true, inlineReadRows: 0 }],
  ['inline (worker: false)', { worker: false }],
] as const;

describe.each(modes)('stream pages are bounded by bytes: %s', (_, mode) => {
  it('pages of 800 KiB envelopes stay within the default budget (4 MiB), each record once', async () => {
    const backend = await backendWith(largeEnvelopes(24), mode);
    const pages = await collectPages(backend.readPages('s1', { direction: 'forward' }));
    expect(pages.flat().map((r) => r.seq)).toEqual(Array.from({ length: 24 }, (_, k) => k + 1));
    // No count check: the first page read on the main thread has its own, smaller budget.
    expect(pageBudgetProblems(pages, { pageBytes: DEFAULT_PAGE_BUDGET })).toEqual([]);
    // Full pages: five such envelopes fit in 4 MiB (and one in the main thread's first page).
    expect(pages.length).toBeLessThanOrEqual(6);
  });

  it.each([1000, 3])(
    'honours after, limit, time bounds and direction across byte-bounded pages (pageSize %i)',
    async (pageSize) => {
      // With 3 rows a page, pages cut by rows and by bytes alternate.
      const backend = await backendWith(pagedEnvelopes(), {
        ...mode,
        pageBytes: PAGED_RANGE_BYTES,
        pageSize,
      });
      await expectPagedRanges((range) => backend.readPages('s1', range), pageSize);
    },
  );
});
