// Where does COPY (staging table + INSERT ... SELECT) beat one multi-row unnest INSERT?
// Two stores on fresh schemas, one forced to each path, written batch for batch in
// alternation so both see the same background load (the machine is shared); prints
// the events/s of each path per batch size and their ratio.
// Usage: pnpm build && node scripts/measure-copy-crossover.mjs   (HISTORY_PG_URL, BATCHES, SIZES=10,100 optional)
import { createPostgresHistoryStore } from '../dist/index.js';
import { envelopes, pgTarget } from './pg-target.mjs';

const SIZES = (process.env.SIZES ?? '10,100,250,500,1000,2000,5000').split(',').map(Number);
const BATCHES = Number(process.env.BATCHES ?? 100);
const target = await pgTarget();

async function open(copyThreshold, size) {
  return createPostgresHistoryStore({
    connectionString: target.url,
    schema: target.schema('crossover'),
    copyThreshold,
    maxBatchSize: size,
    poolSize: 1,
  });
}

console.log(`target: ${target.name}; ${BATCHES} batches per path and size, alternating paths`);
console.log('batch size | unnest ev/s | COPY ev/s | COPY/unnest');
for (const size of SIZES) {
  const paths = [
    { label: 'unnest', store: await open(Number.MAX_SAFE_INTEGER, size), ms: 0 },
    { label: 'copy', store: await open(1, size), ms: 0 },
  ];
  for (let b = 0; b < BATCHES; b++) {
    const batch = envelopes(size, { session: `s${b % 10}`, start: b * size });
    for (const path of b % 2 ? paths : [...paths].reverse()) {
      const started = performance.now();
      await path.store.appendMany(batch);
      path.ms += performance.now() - started;
    }
  }
  const [unnest, copy] = paths.map((p) => (BATCHES * size) / (p.ms / 1000));
  console.log(
    `${String(size).padStart(10)} | ${unnest.toFixed(0).padStart(11)} | ${copy.toFixed(0).padStart(9)} | ${(copy / unnest).toFixed(2)}`,
  );
  for (const p of paths) await p.store.close();
}
await target.close();
