import { createMemoryHistoryStore, type HistoryStore, type StoreOptions } from '@history/core';
import { runHistoryStoreContract } from '../src/index.js';

// The reference store is in-memory: a fixture is one store, reopening is not offered.
for (const [name, tuning] of [
  ['memory', {}],
  ['memory, 4 batches in flight', { maxConcurrentBatches: 4 }],
] as const) {
  runHistoryStoreContract({
    name,
    capabilities: { persistent: false },
    async setup() {
      return {
        async open(overrides?: StoreOptions): Promise<HistoryStore> {
          return createMemoryHistoryStore({ ...tuning, ...overrides });
        },
        async cleanup() {},
      };
    },
  });
}
