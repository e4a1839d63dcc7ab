import { createBackendStore, MemoryBackend, resolveStoreOptions } from '@history/core/backend';
import { describe, expect, it } from 'vitest';
import { envelope } from '../src/harness.js';
import {
  collectPages,
  DEFAULT_PAGE_BUDGET,
  expectPagedRanges,
  PAGED_RANGE_BYTES,
  pageBudgetProblems,
  pagedEnvelopes,
} from '../src/page-budget.js';

// The reference backend's pages follow the same byte budget as the adapters' (see their
// page-bytes tests), so this package's page checks are themselves checked here.
describe('memory: stream pages are bounded by bytes', () => {
  it('pages of 800 KiB envelopes stay within the default budget (4 MiB), each record once', async () => {
    const backend = new MemoryBackend();
    const store = createBackendStore(backend, resolveStoreOptions({}));
    const text = 'x'.repeat(800 * 1024);
    for (let i = 1; i <= 24; i += 8) {
      await store.appendMany(
        Array.from({ length: 8 }, (_, k) => envelope(i + k, { payload: { text } })),
      );
    }
    const pages = await collectPages(backend.readPages('s1', { direction: 'forward' }));
    expect(pages.flat().map((r) => r.seq)).toEqual(Array.from({ length: 24 }, (_, k) => k + 1));
    expect(pageBudgetProblems(pages, { pageBytes: DEFAULT_PAGE_BUDGET, pageSize: 256 })).toEqual(
      [],
    );
  });

  it('honours after, limit, time bounds and direction across byte-bounded pages', async () => {
    const backend = new MemoryBackend(PAGED_RANGE_BYTES);
    await createBackendStore(backend, resolveStoreOptions({})).appendMany(pagedEnvelopes());
    await expectPagedRanges((range) => backend.readPages('s1', range), 256);
  });

  it('reports pages over the budget, empty ones, and ones cut short', () => {
    const record = (seq: number, chars: number) => ({
      seq,
      sessionId: 's1',
      id: `e${seq}`,
      json: 'x'.repeat(chars),
      createdAt: '2025-01-01T00:00:00.000Z',
    });
    const budget = { pageBytes: 100, pageSize: 3 };
    expect(pageBudgetProblems([[record(1, 150)], [record(2, 60), record(3, 40)]], budget)).toEqual(
      [],
    );
    expect(pageBudgetProblems([[record(1, 60), record(2, 41)]], budget)).toEqual([
      'page 0: 2 records, 101 bytes > 100',
    ]);
    expect(pageBudgetProblems([[record(1, 60)], [record(2, 40)]], budget)).toEqual([
      'page 0 ends at 60 bytes, before a record of 40',
    ]);
    expect(pageBudgetProblems([[]], budget)).toEqual(['page 0 is empty']);
  });
});
