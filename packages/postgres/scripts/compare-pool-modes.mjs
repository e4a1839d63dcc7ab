// poolMode: 'transaction' (statements unnamed) against the default (named, prepared once per
// connection), two stores of this build, alternating scenario by scenario (compare-stores.mjs).
// With POOLER=pgbouncer the 'transaction' store goes through PgBouncer in transaction mode
// (@history/test-services/pgbouncer, 20 server connections) in front of the same server.
// Usage: pnpm build && node scripts/compare-pool-modes.mjs (HISTORY_PG_URL, ROUNDS=30, POOLER)
import { startPgBouncer } from '@history/test-services/pgbouncer';
import { createPostgresHistoryStore } from '../dist/index.js';
import { compareStores } from './compare-stores.mjs';
import { pgTarget } from './pg-target.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 30);
const target = await pgTarget();
const bouncer =
  process.env.POOLER === 'pgbouncer'
    ? await startPgBouncer({ upstreamUrl: target.url, poolSize: 20 })
    : undefined;
const stores = {
  other: await createPostgresHistoryStore({
    connectionString: bouncer?.url ?? target.url,
    poolMode: 'transaction',
    schema: target.schema('cmp_transaction'),
  }),
  this: await createPostgresHistoryStore({
    connectionString: target.url,
    schema: target.schema('cmp_session'),
  }),
};
const through = bouncer ? ' through PgBouncer' : '';
await compareStores(stores, {
  rounds: ROUNDS,
  title: `target: ${target.name}; other: poolMode 'transaction'${through}, this: the default`,
});
for (const store of Object.values(stores)) await store.close();
await bouncer?.stop();
await target.close();
