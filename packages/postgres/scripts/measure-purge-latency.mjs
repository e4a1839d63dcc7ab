// What appends wait for beside a purge on PostgreSQL: 4 producers append single events (a new
// session every `sessionEvents`) for 10 s idle, then while `purgeExpired()` removes `expired`
// events loaded over `sessions` sessions (tooling/purge-workload.mjs, as `pnpm bench --full`'s
// lifecycle scenario does). Prints the appends' latency idle and during the purge, the purge's
// chunks, the WAL each phase wrote (pg_stat_wal), checkpoints, what the other backends waited
// on (pg_stat_activity sampled every 10 ms) and how many slow appends overlapped a chunk.
//   node --expose-gc scripts/measure-purge-latency.mjs [expired] [sessions] [sessionEvents]
// HISTORY_PG_URL, else an embedded PostgreSQL. Wraps pg.Pool's query to time the chunks'
// statements: a measuring script, not an API.
// The load is followed by a CHECKPOINT: expired data is old, written before the last one.

import pg from 'pg';
import { loadExpired, measurePurge, quantiles } from '../../../tooling/purge-workload.mjs';
import { createPostgresHistoryStore } from '../dist/index.js';
import { pgTarget } from './pg-target.mjs';

const expired = Number(process.argv[2] ?? 300_000);
const sessions = Number(process.argv[3] ?? 1_000);
const sessionEvents = Number(process.argv[4] ?? 1_000);

let phase; // undefined while not measuring, then 'idle', then 'purge'
const chunks = []; // [start, end] of each chunk's statement

// Times each chunk's statement (the rest after it is not included).
const query = pg.Pool.prototype.query;
pg.Pool.prototype.query = function (config, ...rest) {
  if (phase !== 'purge' || !config?.text?.includes('candidates AS')) {
    return query.call(this, config, ...rest);
  }
  const started = performance.now();
  const result = query.call(this, config, ...rest);
  result.then(
    () => chunks.push([started, performance.now()]),
    () => {},
  );
  return result;
};

const target = await pgTarget();
const schema = target.schema('purge_latency');
const store = await createPostgresHistoryStore({ connectionString: target.url, schema });
await loadExpired(store, expired, sessions);
await target.admin.query('CHECKPOINT');

// PostgreSQL 17 moved the checkpoint counters to pg_stat_checkpointer.
const { rows: version } = await target.admin.query('SHOW server_version_num');
const checkpoints =
  Number(version[0].server_version_num) >= 170000
    ? 'SELECT num_timed + num_requested FROM pg_stat_checkpointer'
    : 'SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter';
const walStats = async () => {
  const { rows } = await target.admin.query(
    `SELECT w.wal_records::bigint AS records, w.wal_fpi::bigint AS fpi, w.wal_bytes::bigint AS bytes,
            (${checkpoints})::bigint AS checkpoints
     FROM pg_stat_wal w`,
  );
  return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)]));
};
const waits = { idle: {}, purge: {} };
let sampling = true;
const sampler = (async () => {
  const sampleDb = await target.admin.connect();
  const { rows } = await sampleDb.query('SELECT pg_backend_pid() AS pid');
  while (sampling) {
    if (phase) {
      const { rows: active } = await sampleDb.query(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w, query LIKE '%candidates AS%' AS chunk
         FROM pg_stat_activity WHERE state = 'active' AND pid <> $1 AND backend_type = 'client backend'`,
        [rows[0].pid],
      );
      for (const { w, chunk } of active) {
        const key = `${chunk ? 'chunk' : 'other'} ${w}`;
        waits[phase][key] = (waits[phase][key] ?? 0) + 1;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  sampleDb.release();
})();

const wal = {}; // pg_stat_wal as each phase began
const {
  result: { deletedEvents },
  seconds,
  appends,
} = await measurePurge(store, {
  sessionEvents,
  onPhase: (p) => {
    phase = p;
    if (p) wal[p] = walStats();
  },
});
const idle = appends.idle.map(([, ms]) => ms);
const during = appends.purge.map(([, ms]) => ms);
const spans = appends.purge.map(([start, ms]) => [start, start + ms]);
sampling = false;
await sampler;
const [atIdle, atPurge, atEnd] = await Promise.all([wal.idle, wal.purge, walStats()]);

const delta = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(0.99 * xs.length)];
console.log(`purged ${deletedEvents} events in ${seconds.toFixed(1)} s`);
console.log(`idle: appends ${quantiles(idle)}`);
console.log(`  WAL ${JSON.stringify(delta(atIdle, atPurge))}`);
console.log(`  waits (samples) ${JSON.stringify(waits.idle)}`);
console.log(`purge: appends ${quantiles(during)}`);
console.log(`  ratio p99 ${(p99(during) / p99(idle)).toFixed(2)}x`);
console.log(`  chunks ${quantiles(chunks.map(([a, b]) => b - a))}`);
console.log(`  WAL ${JSON.stringify(delta(atPurge, atEnd))}`);
console.log(`  waits (samples) ${JSON.stringify(waits.purge)}`);
const slowerThan = 2 * p99(idle);
const slow = spans.filter(([a, b]) => b - a > slowerThan);
const overlapping = slow.filter(([a, b]) => chunks.some(([x, y]) => x < b && y > a)).length;
console.log(
  `appends during the purge slower than ${slowerThan.toFixed(2)} ms: ${slow.length}, ${overlapping} overlapping a chunk`,
);
await store.close();
await target.close();
