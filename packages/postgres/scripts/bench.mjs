// The figures the closing note asks for, each beside a naive baseline and
// the raw COPY (or raw round-trip) ceiling measured in the same run:
//   bulk ingest ev/s, 16 concurrent single appends ev/s, replay p95 of a 1,000-event page,
//   getCheckpoint p95.
// Usage: pnpm build && node scripts/bench.mjs   (HISTORY_PG_URL optional; EVENTS to scale)
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { copyField } from '../dist/copy-rows.js';
import { createPostgresHistoryStore, migrate } from '../dist/index.js';
import { envelopes, p95, pgTarget } from './pg-target.mjs';

const EVENTS = Number(process.env.EVENTS ?? 50_000);
const SINGLES = Number(process.env.SINGLES ?? 4_000);
const target = await pgTarget();
const rate = (n, ms) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} ev/s`;
const ms = (x) => `${x.toFixed(2)} ms`;
const rows = [];

// --- bulk ingest -----------------------------------------------------------
const storeSchema = target.schema('bench');
const store = await createPostgresHistoryStore({
  connectionString: target.url,
  schema: storeSchema,
});
const bulk = envelopes(EVENTS, { session: 'bulk' });
let t = performance.now();
await store.appendMany(bulk);
const storeBulk = performance.now() - t;

const naiveSchema = target.schema('naive');
await migrate({ connectionString: target.url }, { schema: naiveSchema });
const naiveCount = Math.min(EVENTS, 5_000); // one transaction per event: slow, so fewer
t = performance.now();
for (const e of bulk.slice(0, naiveCount)) {
  await target.admin.query(
    `INSERT INTO "${naiveSchema}".events (session_id, seq, id, occurred_at, envelope)
     SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4 FROM "${naiveSchema}".events WHERE session_id = $1`,
    [e.sessionId, e.id, e.occurredAt, JSON.stringify(e)],
  );
}
const naiveBulk = performance.now() - t;

const rawSchema = target.schema('raw');
await migrate({ connectionString: target.url }, { schema: rawSchema });
const raw = await target.admin.connect();
t = performance.now();
await raw.query('BEGIN');
await pipeline(
  Readable.from(
    bulk.map(
      (e, k) =>
        `${copyField(e.sessionId)}\t${k + 1}\t${copyField(e.id)}\t${e.occurredAt}\t${copyField(JSON.stringify(e))}\n`,
    ),
  ),
  raw.query(
    copyFrom(`COPY "${rawSchema}".events (session_id, seq, id, occurred_at, envelope) FROM STDIN`),
  ),
);
await raw.query('COMMIT');
const rawBulk = performance.now() - t;
rows.push([
  'bulk ingest (appendMany)',
  rate(EVENTS, storeBulk),
  rate(naiveCount, naiveBulk),
  rate(EVENTS, rawBulk),
]);

// --- 16 concurrent single appends ----------------------------------------------
const perProducer = Math.ceil(SINGLES / 16);
t = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async (_, p) => {
    for (const e of envelopes(perProducer, { session: `c${p}` })) await store.append(e);
  }),
);
const storeSingles = performance.now() - t;
const naivePool = new (await import('pg')).default.Pool({ connectionString: target.url, max: 16 });
// Its last connections may still be closing when the embedded server stops.
naivePool.on('error', () => {});
t = performance.now();
await Promise.all(
  Array.from({ length: 16 }, async (_, p) => {
    for (const e of envelopes(perProducer, { session: `c${p}` })) {
      await naivePool.query(
        `INSERT INTO "${naiveSchema}".events (session_id, seq, id, occurred_at, envelope)
         SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4 FROM "${naiveSchema}".events WHERE session_id = $1`,
        [e.sessionId, e.id, e.occurredAt, JSON.stringify(e)],
      );
    }
  }),
);
const naiveSingles = performance.now() - t;
await naivePool.end();
rows.push([
  '16 concurrent single appends',
  rate(perProducer * 16, storeSingles),
  rate(perProducer * 16, naiveSingles),
  '(COPY row above)',
]);

// --- replay of a 1,000-event page ---------------------------------------------------
const SAMPLES = 60;
const starts = Array.from({ length: SAMPLES }, (_, i) => (i * 7919) % Math.max(1, EVENTS - 1000));
const storeReplay = [];
for (const after of starts) {
  t = performance.now();
  let n = 0;
  for await (const _ of store.stream('bulk', { after, limit: 1000 })) n++;
  storeReplay.push(performance.now() - t);
  if (n !== 1000) throw new Error(`page of ${n}`);
}
const naiveReplay = [];
for (const after of starts) {
  t = performance.now();
  const r = await target.admin.query(
    `SELECT * FROM "${storeSchema}".events WHERE session_id = 'bulk' ORDER BY seq OFFSET $1 LIMIT 1000`,
    [after],
  );
  naiveReplay.push(performance.now() - t);
  if (r.rowCount !== 1000) throw new Error('naive page');
}
const rawReplay = [];
for (const after of starts) {
  const client = await target.admin.connect();
  t = performance.now();
  const stream = client.query(
    copyTo(
      `COPY (SELECT envelope FROM "${storeSchema}".events WHERE session_id = 'bulk' AND seq > ${Number(after)} ORDER BY seq LIMIT 1000) TO STDOUT`,
    ),
  );
  for await (const _ of stream);
  rawReplay.push(performance.now() - t);
  client.release();
}
rows.push([
  'replay p95, 1,000-event page',
  ms(p95(storeReplay)),
  `${ms(p95(naiveReplay))} (OFFSET, rows parsed by pg)`,
  ms(p95(rawReplay)),
]);

// --- getCheckpoint -----------------------------------------------------------------------
await store.checkpoint('bulk', { cursor: 'e1', state: { summary: 'x'.repeat(500) } }, { seq: 1 });
const storeCp = [];
for (let i = 0; i < 300; i++) {
  t = performance.now();
  await store.getCheckpoint('bulk');
  storeCp.push(performance.now() - t);
}
const naiveCp = [];
for (let i = 0; i < 300; i++) {
  t = performance.now();
  await target.admin.query(`SELECT * FROM "${storeSchema}".checkpoints WHERE session_id = 'bulk'`);
  naiveCp.push(performance.now() - t);
}
const rawCp = [];
for (let i = 0; i < 300; i++) {
  t = performance.now();
  await target.admin.query('SELECT 1');
  rawCp.push(performance.now() - t);
}
rows.push([
  'getCheckpoint p95',
  ms(p95(storeCp)),
  `${ms(p95(naiveCp))} (unprepared SELECT *)`,
  `${ms(p95(rawCp))} (SELECT 1)`,
]);
await store.close();
raw.release();

console.log(
  `target: ${target.name}; ${EVENTS} bulk events (~330 B), ${perProducer * 16} single appends\n`,
);
console.log('| measure | @history/postgres | naive baseline | raw ceiling |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
await target.close();
