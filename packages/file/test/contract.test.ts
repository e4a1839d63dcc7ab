import { runHistoryStoreContract } from '@history/contract-tests';
import { describe } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { tempRoot } from './temp-root.js';

for (const durability of ['os', 'fsync'] as const) {
  describe(`durability: ${durability}`, () => {
    runHistoryStoreContract({
      // The suite checks metrics carry the backend's name, so this is 'file' for both modes.
      name: 'file',
      capabilities: { persistent: true },
      async setup() {
        const root = await tempRoot();
        return {
          open: (overrides) =>
            createFileHistoryStore({ root: root.path, durability, ...overrides }),
          cleanup: root.remove,
        };
      },
    });
  });
}
