import { createMemoryHistoryStore, type HistoryStore, type StoreOptions } from '@history/core';
import { runHistoryStoreContract } from '../src/index.js';

// The reference store is in-memory: a fixture is one store, reopening is not offered.
runHistoryStoreContract({
  name: 'memory',
  capabilities: { persistent: false },
  async setup() {
    return {
      async open(overrides?: StoreOptions): Promise<HistoryStore> {
        return createMemoryHistoryStore(overrides);
      },
      async cleanup() {},
    };
  },
});
