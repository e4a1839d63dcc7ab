// json or jsonb for the envelope column? Ingests the same events into each (the
// adapter's own write path, COPY batches of 1000) and replays them with stream(),
// then checks what each type does to text the contract says must round-trip exactly.
// Usage: pnpm build && node scripts/measure-json-vs-jsonb.mjs   (HISTORY_PG_URL optional)
// Written for 0001's json column: since 0002 the envelope column is text and the write
// statement sends text, which json and jsonb columns refuse without a cast; run it from a
// checkout of the version before 0002.
import { createPostgresHistoryStore } from '../dist/index.js';
import { envelopes, median, pgTarget } from './pg-target.mjs';

const EVENTS = Number(process.env.EVENTS ?? 50_000);
const RUNS = Number(process.env.RUNS ?? 3);
const target = await pgTarget();

async function openVariant(type) {
  const schema = target.schema(`json_${type}`);
  const store = await createPostgresHistoryStore({
    connectionString: target.url,
    schema,
    poolSize: 2,
  });
  if (type === 'jsonb') {
    await target.admin.query(
      `ALTER TABLE "${schema}".events ALTER COLUMN envelope TYPE jsonb USING envelope::jsonb`,
    );
  }
  return { store, schema };
}

console.log(`target: ${target.name}; ${EVENTS} events (~330 B each), median of ${RUNS} runs`);
console.log('type  | ingest ev/s | replay ev/s | table size');
for (const type of ['json', 'jsonb']) {
  const ingest = [];
  const replay = [];
  let size = '';
  for (let r = 0; r < RUNS; r++) {
    const { store, schema } = await openVariant(type);
    const all = envelopes(EVENTS);
    let started = performance.now();
    for (let i = 0; i < all.length; i += 1000) await store.appendMany(all.slice(i, i + 1000));
    ingest.push(EVENTS / ((performance.now() - started) / 1000));
    started = performance.now();
    let n = 0;
    for await (const _ of store.stream('s1')) n++;
    if (n !== EVENTS) throw new Error(`replayed ${n} of ${EVENTS}`);
    replay.push(EVENTS / ((performance.now() - started) / 1000));
    const { rows } = await target.admin.query(
      `SELECT pg_size_pretty(pg_total_relation_size('"${schema}".events')) AS size`,
    );
    size = rows[0].size;
    await store.close();
  }
  console.log(
    `${type.padEnd(5)} | ${median(ingest).toFixed(0).padStart(11)} | ${median(replay).toFixed(0).padStart(11)} | ${size}`,
  );
}

// Exactness: the contract requires any string (NUL escapes, lone surrogates) and the
// envelope text itself to come back exactly.
for (const type of ['json', 'jsonb']) {
  const { store } = await openVariant(type);
  const tricky = {
    id: 'tricky',
    type: 't',
    occurredAt: '2025-01-01T00:00:00Z',
    sessionId: 'x',
    payload: { z: 1, a: 'nul \u0000 lone \ud800 end', n: 1.5e300 },
  };
  let outcome;
  try {
    await store.append(tricky);
    let record;
    for await (const r of store.stream('x')) record = r;
    outcome =
      JSON.stringify(record.envelope) === JSON.stringify(tricky)
        ? 'round-trips exactly (key order included)'
        : `changed: ${JSON.stringify(record.envelope.payload)}`;
  } catch (error) {
    outcome = `rejected: ${error.cause?.message ?? error.message}`;
  }
  console.log(`${type}: NUL + lone surrogate payload ${outcome}`);
  await store.close();
}
await target.close();
