// This build against another one (OTHER_MODULE: that build's dist/index.js, e.g. the previous
// commit built in a scratch checkout), alternating scenario by scenario (compare-stores.mjs).
// Usage: pnpm build && OTHER_MODULE=/path/to/dist/index.js node scripts/compare-builds.mjs
//   (HISTORY_PG_URL, ROUNDS=30)
import { compareStores } from './compare-stores.mjs';
import { pgTarget } from './pg-target.mjs';

if (!process.env.OTHER_MODULE) throw new Error('set OTHER_MODULE to the other build');
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const target = await pgTarget();
const stores = {};
for (const [name, module] of [
  ['other', process.env.OTHER_MODULE],
  ['this', '../dist/index.js'],
]) {
  const { createPostgresHistoryStore } = await import(module);
  stores[name] = await createPostgresHistoryStore({
    connectionString: target.url,
    schema: target.schema(`cmp_${name}`),
  });
}
await compareStores(stores, { rounds: ROUNDS, title: `target: ${target.name}` });
for (const store of Object.values(stores)) await store.close();
await target.close();
