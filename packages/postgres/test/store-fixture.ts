import { envelope } from '@history/contract-tests';
import type pg from 'pg';
import { createPostgresHistoryStore, migrate } from '../src/index.js';
import { dropSchema, freshSchemaName } from './pg-fixtures.js';

/** A migrated fresh schema on `url` (`partitions` as migrate's); `drop()` removes it. */
export async function migratedSchema(url: string, prefix = 'hs', partitions = 0) {
  const schema = freshSchemaName(prefix);
  await migrate({ connectionString: url }, { schema, partitions });
  return { schema, drop: () => dropSchema(url, schema) };
}

/**
 * A store on `pool` and `schema` writing through `copyThreshold`'s path, retrying a failed
 * batch up to 3 times, with `attempts` recording each batch's attempts (from `onMetrics`);
 * evt-1 is appended to session s1 before it is returned.
 */
export async function retryingStore(pool: pg.Pool, schema: string, copyThreshold: number) {
  const attempts: number[] = [];
  const store = await createPostgresHistoryStore({
    pool,
    schema,
    copyThreshold,
    retries: 3,
    onMetrics: (m) => {
      if ('attempts' in m) attempts.push(m.attempts);
    },
  });
  await store.append(envelope(1));
  return { store, attempts };
}
