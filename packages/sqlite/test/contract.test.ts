import { runHistoryStoreContract } from '@history/contract-tests';
import { describe } from 'vitest';
// The built package: the default (worker) mode loads its worker file from dist.
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

const modes = [
  ['worker threads with main-thread small tasks (default)', { worker: true }],
  ['worker threads only', { worker: true, inlineWriteRows: 0, inlineReadRows: 0 }],
  ['inline (worker: false)', { worker: false }],
] as const;

for (const [title, mode] of modes) {
  // The suite checks metrics carry the subject name, so every mode is 'sqlite'.
  describe(title, () => {
    runHistoryStoreContract({
      name: 'sqlite',
      capabilities: { persistent: true, sharedStorage: true },
      async setup() {
        const db = tempDb();
        return {
          open: (overrides) =>
            createSqliteHistoryStore({ filename: db.filename, ...mode, ...overrides }),
          cleanup: async () => db.cleanup(),
        };
      },
    });
  });
}
