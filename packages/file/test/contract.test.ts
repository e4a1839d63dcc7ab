import { runHistoryStoreContract } from '@history/contract-tests';
import { describe } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { tempRoot } from './temp-root.js';

for (const durability of ['os', 'fsync'] as const) {
  describe(`durability: ${durability}`, () => {
    runHistoryStoreContract({
      // The suite checks metrics carry the backend's name, so this is 'file' for both modes.
      name: 'file',
      capabilities: { persistent: true, sharedStorage: true },
      async setup() {
        const root = await tempRoot();
        return {
          open: (overrides) =>
            createFileHistoryStore({ root: root.path, durability, ...overrides }),
          // The writer's companion in another process: a read-only open of its root.
          openFollower: (overrides) =>
            createFileHistoryStore({ root: root.path, readOnly: true, ...overrides }),
          cleanup: root.remove,
        };
      },
    });
  });
}
