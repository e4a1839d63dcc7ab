import { runHistoryStoreContract } from '@history/contract-tests';
import { describe } from 'vitest';
// The built package: the default (worker) mode loads its worker file from dist.
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

for (const worker of [true, false]) {
  // The suite checks metrics carry the subject name, so both modes are 'sqlite'.
  describe(worker ? 'worker threads (default)' : 'inline (worker: false)', () => {
    runHistoryStoreContract({
      name: 'sqlite',
      capabilities: { persistent: true },
      async setup() {
        const db = tempDb();
        return {
          open: (overrides) =>
            createSqliteHistoryStore({ filename: db.filename, worker, ...overrides }),
          cleanup: async () => db.cleanup(),
        };
      },
    });
  });
}
