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
import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POSTGRES_DEFAULTS, resolvePostgresOptions } from '../src/options.js';
import { PostgresBackend } from '../src/postgres-backend.js';
import { pgTargets, testPool } from './pg-fixtures.js';
import { migratedSchema } from './store-fixture.js';

for (const target of pgTargets()) {
  describe(`stream pages are bounded by bytes (${target.name})`, () => {
    let fixture: Awaited<ReturnType<typeof migratedSchema>>;
    let pool: pg.Pool;
    beforeEach(async () => {
      fixture = await migratedSchema(target.url, 'pages');
      pool = testPool(target.url, 4);
    });
    afterEach(async () => {
      await pool.end();
      await fixture.drop();
    });

    /** A backend on the fixture's schema with the adapter `options`, holding `envelopes`. */
    async function backendWith(
      envelopes: ReturnType<typeof envelope>[],
      options: Record<string, unknown> = {},
    ) {
      const resolved = resolvePostgresOptions({ pool, schema: fixture.schema, ...options });
      const backend = new PostgresBackend({ ...resolved, pool, ownsPool: false });
      const store = createBackendStore(backend, resolveStoreOptions({}));
      for (let i = 0; i < envelopes.length; i += 8) {
        await store.appendMany(envelopes.slice(i, i + 8));
      }
      return backend;
    }

    it('pages of 800 KiB envelopes stay within the default budget (4 MiB), each record once', async () => {
      const backend = await backendWith(largeEnvelopes(24));
      for (const direction of ['forward', 'backward'] as const) {
        const pages = await collectPages(backend.readPages('s1', { direction }));
        const seqs = Array.from({ length: 24 }, (_, k) => k + 1);
        expect(pages.flat().map((r) => r.seq)).toEqual(
          direction === 'forward' ? seqs : seqs.reverse(),
        );
        expect(
          pageBudgetProblems(pages, {
            pageBytes: DEFAULT_PAGE_BUDGET,
            pageSize: POSTGRES_DEFAULTS.pageSize,
          }),
        ).toEqual([]);
      }
    });

    it.each([POSTGRES_DEFAULTS.pageSize, 3])(
      'honours after, limit, time bounds and direction across byte-bounded pages (pageSize %i)',
      async (pageSize) => {
        // With 3 rows a page, pages cut by rows and by bytes alternate.
        const backend = await backendWith(pagedEnvelopes(), {
          pageBytes: PAGED_RANGE_BYTES,
          pageSize,
        });
        await expectPagedRanges((range) => backend.readPages('s1', range), pageSize);
      },
    );
  });
}
