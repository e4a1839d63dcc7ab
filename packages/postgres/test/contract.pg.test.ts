import { runHistoryStoreContract } from '@history/contract-tests';
import { describe } from 'vitest';
import { createPostgresHistoryStore } from '../src/index.js';
import { dropSchema, freshSchemaName, pgTargets } from './pg-fixtures.js';

const variants = [
  { label: 'plain table', options: {} },
  // Hash-partitioned events, same queries; copyThreshold 2 sends single appends through
  // the bind-parameter statement and every larger batch through COPY, so both paths meet the partitions.
  { label: 'partitioned, COPY from 2 records', options: { partitions: 4, copyThreshold: 2 } },
];

for (const target of pgTargets()) {
  for (const variant of variants) {
    // The suite checks metrics carry the backend name, so the target goes in a describe title.
    describe(`${target.name}, ${variant.label}`, () => {
      runHistoryStoreContract({
        name: 'postgres',
        capabilities: { persistent: true, sharedStorage: true },
        async setup() {
          const schema = freshSchemaName('contract');
          return {
            open: (overrides) =>
              createPostgresHistoryStore({
                connectionString: target.url,
                schema,
                poolSize: 2,
                ...variant.options,
                ...overrides,
              }),
            cleanup: () => dropSchema(target.url, schema),
          };
        },
      });
    });
  }
}
