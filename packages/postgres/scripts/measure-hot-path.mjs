// The agent hot path against its floor, and replay against the previous store's read,
// each pair alternated in one process so both see the same background load:
// - P producers (each its own session) appending one event per round through the store,
//   vs the floor: one autocommitted multi-row INSERT of the round's P events into a
//   text table (JSON.stringify included). Reported: events/s (median of 10-round blocks).
// - replay of whole 100- and 1,000-event sessions with `for await (... of store.stream())`,
//   vs the previous store's read: one query with COALESCE-wrapped bounds on its all-text
//   table (id primary key, no other index), every row fetched at once and JSON.parsed.
// Usage: pnpm build && node scripts/measure-hot-path.mjs
//   (HISTORY_PG_URL, ROUNDS=200, REPLAYS=300, STORE_MODULE=<another build's dist/index.js>)
import { envelopes, median, pgTarget } from './pg-target.mjs';

const { createPostgresHistoryStore } = await import(process.env.STORE_MODULE ?? '../dist/index.js');
const ROUNDS = Number(process.env.ROUNDS ?? 200);
const REPLAYS = Number(process.env.REPLAYS ?? 300);
const target = await pgTarget();
const schema = target.schema('hot');
const store = await createPostgresHistoryStore({ connectionString: target.url, schema });
const base = `"${schema}".previous_events`;
await target.admin.query(`CREATE TABLE ${base} (id text PRIMARY KEY, session_id text,
  seq bigint, occurred_at text, envelope text, created_at text)`);
const one = (session, n) => envelopes(1, { session, start: n, payloadBytes: 500 })[0];
const rate = (n, ms) => Math.round(n / (ms / 1000));

console.log(`target: ${target.name}`);
for (const P of [16, 256]) {
  const rounds = P === 16 ? ROUNDS : Math.max(20, ROUNDS / 8);
  const storeRound = (r) =>
    Promise.all(Array.from({ length: P }, (_, p) => store.append(one(`p${P}-${p}`, r))));
  const floorRound = (r) => {
    const values = [];
    const rows = [];
    for (let p = 0; p < P; p++) {
      const e = one(`f${P}-${p}`, r);
      const k = values.length;
      rows.push(`($${k + 1}, $${k + 2}, $${k + 3}, $${k + 4})`);
      values.push(`${e.sessionId}:${e.id}`, e.sessionId, r, JSON.stringify(e));
    }
    return target.admin.query(
      `INSERT INTO ${base} (id, session_id, seq, envelope) VALUES ${rows.join(', ')}
       ON CONFLICT (id) DO NOTHING`,
      values,
    );
  };
  await storeRound(-1);
  await floorRound(-1);
  const blocks = { store: [], floor: [] };
  for (let r = 0; r < rounds; r += 10) {
    for (const [name, round] of [
      ['store', storeRound],
      ['floor', floorRound],
    ]) {
      const started = performance.now();
      for (let k = r; k < r + 10; k++) await round(k);
      blocks[name].push(rate(10 * P, performance.now() - started));
    }
  }
  const [s, f] = [median(blocks.store), median(blocks.floor)];
  console.log(`P=${P}: store ${s} ev/s, floor ${f} ev/s, store/floor ${(s / f).toFixed(2)}`);
}

// The previous store's read, as it was.
async function* previousStream(sessionId) {
  const { rows } = await target.admin.query(
    `SELECT seq, id, session_id, envelope, created_at FROM ${base}
     WHERE session_id = $1 AND seq > COALESCE($2, 0)
       AND occurred_at >= COALESCE($3, occurred_at) AND occurred_at <= COALESCE($4, occurred_at)
     ORDER BY seq LIMIT $5`,
    [sessionId, null, null, null, null],
  );
  for (const row of rows) {
    yield {
      id: row.id,
      sessionId: row.session_id,
      seq: Number(row.seq),
      envelope: JSON.parse(row.envelope),
    };
  }
}
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1];
for (const size of [100, 1000]) {
  const session = `replay${size}`;
  const all = envelopes(size, { session, payloadBytes: 500 });
  await store.appendMany(all);
  const now = new Date().toISOString();
  for (const [i, e] of all.entries()) {
    await target.admin.query(`INSERT INTO ${base} VALUES ($1, $2, $3, $4, $5, $6)`, [
      `${session}:${e.id}`,
      session,
      i + 1,
      e.occurredAt,
      JSON.stringify(e),
      now,
    ]);
  }
  const times = { store: [], previous: [] };
  for (let k = -10; k < REPLAYS; k++) {
    for (const [name, read] of [
      ['store', () => store.stream(session)],
      ['previous', () => previousStream(session)],
    ]) {
      const started = performance.now();
      let n = 0;
      for await (const _ of read()) n++;
      if (n !== size) throw new Error(`${name} replayed ${n} of ${size}`);
      if (k >= 0) times[name].push(performance.now() - started);
    }
  }
  const line = (name) =>
    `p50 ${quantile(times[name], 0.5).toFixed(2)} p95 ${quantile(times[name], 0.95).toFixed(2)} p99 ${quantile(times[name], 0.99).toFixed(2)} ms`;
  console.log(
    `replay ${size}: store ${line('store')}; previous ${line('previous')}; p95 ratio ${(quantile(times.previous, 0.95) / quantile(times.store, 0.95)).toFixed(2)}`,
  );
}
await store.close();
await target.close();
