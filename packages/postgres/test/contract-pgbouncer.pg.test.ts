import { runHistoryStoreContract } from '@history/contract-tests';
import { describe } from 'vitest';
import { createPostgresHistoryStore } from '../src/index.js';
import { dropSchema, freshSchemaName } from './pg-fixtures.js';
import { bouncerUpstream, pgBouncerForSuite } from './pgbouncer-fixture.js';

/**
 * The whole conformance suite through PgBouncer in transaction mode (four server connections
 * shared by every store of the suite): migrations on open, both write paths, reads, checkpoints,
 * the lifecycle and the feed. With `listenConnectionString`, followers LISTEN on a direct
 * connection; without it they poll.
 */
const variants = [
  { label: 'plain table, LISTEN on a direct connection', listen: true, options: {} },
  {
    label: 'partitioned, COPY from 2 records, followers polling',
    listen: false,
    options: { partitions: 4, copyThreshold: 2 },
  },
];

const upstream = bouncerUpstream();

describe(`through PgBouncer, pool_mode = transaction (in front of ${upstream.name})`, () => {
  const bouncer = pgBouncerForSuite(upstream);
  for (const variant of variants) {
    describe(variant.label, () => {
      runHistoryStoreContract({
        name: 'postgres',
        capabilities: { persistent: true, sharedStorage: true },
        async setup() {
          const schema = freshSchemaName('bouncer');
          return {
            open: (overrides) =>
              createPostgresHistoryStore({
                connectionString: bouncer.url,
                poolMode: 'transaction',
                ...(variant.listen ? { listenConnectionString: upstream.url } : {}),
                schema,
                poolSize: 2,
                ...variant.options,
                ...overrides,
              }),
            cleanup: () => dropSchema(upstream.url, schema),
          };
        },
      });
    });
  }
});
