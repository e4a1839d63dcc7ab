// Type-checked by tooling/pack-check.mjs in a project where only @history/postgres is installed:
// the pg types its options mention must come with it.
import {
  createPostgresHistoryStore,
  type MigrateResult,
  migrate,
  type PostgresHistoryStoreOptions,
  verifyPostgresStore,
} from '@history/postgres';
import type { Pool } from 'pg';

const options: PostgresHistoryStoreOptions = { connectionString: 'postgres://localhost/db' };
const migrated: MigrateResult = await migrate(options, { schema: 'history' });
const store = await createPostgresHistoryStore({ ...options, pageSize: 500 });
await store.close();
// A caller's own pool is accepted as pg's Pool ...
declare const pool: Pool;
await createPostgresHistoryStore({ pool });
// ... and is pg's Pool, not `any`.
// @ts-expect-error
await createPostgresHistoryStore({ pool: {} });

// Verification takes the same connection options and reports typed problems.
const report = await verifyPostgresStore({ pool, schema: 'history' });
report.problems[0]?.kind satisfies string | undefined;

export { migrated };
