// The agent hot path and replay, against the figures issue #9 compares with.
// Run after `pnpm build`: node scripts/measure-hot-path.mjs <variant> [producers] [events each]
//   floor     the raw driver on this thread: per round of the producers, JSON.stringify of
//             each envelope and ONE transaction inserting the round (table with a
//             (session, seq) index), no store around it
//   baseline  the previous store's shape: WAL, synchronous=NORMAL, one autocommit INSERT per
//             event on this thread, id TEXT PRIMARY KEY; replay = .all() + JSON.parse per row
//   store     this package with its defaults; `threads`: inlineWriteRows/inlineReadRows 0
// Producers each await one append after another (each its own session); then replay of whole
// 100- and 1,000-event sessions (300 times each), then bulk appendMany of 1,000 interleaved
// envelopes over 50 sessions. Alternate variants run by run: the machine is shared.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createSqliteHistoryStore } from '../dist/index.js';

const [variant = 'store', pArg = '16', nArg = '300'] = process.argv.slice(2);
const P = Number(pArg);
const N = Number(nArg);
const dir = mkdtempSync(join(tmpdir(), 'hot-path-'));
const text = 'the agent tool call result file line error test build '.repeat(8);
const env = (s, i) => ({
  id: `${s}:${i}`,
  sessionId: s,
  type: 'assistant.message',
  occurredAt: new Date(1767225600000 + i * 1000).toISOString(),
  source: 'agent',
  traceId: `t-${i >> 3}`,
  payload: { role: 'assistant', text, tokens: 123 },
});
const pct = (sorted, q) => sorted[Math.ceil(q * sorted.length) - 1].toFixed(2);

/** Runs `work`, returning ev/s, CPU µs per event (all threads) and event-loop delay p99. */
async function measured(events, work) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  h.disable();
  return `${Math.round((events / ms) * 1000)} ev/s, cpu ${((used.user + used.system) / events).toFixed(1)} us/ev, event-loop delay p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms`;
}

async function replay(stream, append) {
  const out = [];
  for (const size of [100, 1000]) {
    const s = `r${size}`;
    await append(Array.from({ length: size }, (_, i) => env(s, i)));
    const lat = [];
    for (let k = 0; k < 300; k++) {
      const t = performance.now();
      let c = 0;
      for await (const _ of stream(s)) c++;
      lat.push(performance.now() - t);
      if (c !== size) throw new Error(`read ${c} of ${size}`);
    }
    lat.sort((a, b) => a - b);
    out.push(`replay ${size}: p50 ${pct(lat, 0.5)} p95 ${pct(lat, 0.95)} p99 ${pct(lat, 0.99)} ms`);
  }
  return out;
}

async function floor() {
  const db = new Database(join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE e (session TEXT, seq INTEGER, id TEXT, json TEXT); CREATE INDEX e_ss ON e (session, seq)',
  );
  const insert = db.prepare('INSERT INTO e VALUES (?, ?, ?, ?)');
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const round = (i) => {
    const jsons = [];
    for (let p = 0; p < P; p++) jsons.push(JSON.stringify(env(`p${p}`, i)));
    begin.run();
    for (let p = 0; p < P; p++) insert.run(`p${p}`, i + 1, `p${p}:${i}`, jsons[p]);
    commit.run();
  };
  round(-1);
  const line = await measured(P * N, async () => {
    for (let i = 0; i < N; i++) {
      round(i);
      await null;
    }
  });
  db.close();
  return [`P=${P}: ${line}`];
}

async function baseline() {
  const db = new Database(join(dir, 'baseline.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE e (id TEXT PRIMARY KEY, session_id TEXT, seq INTEGER, occurred_at TEXT, envelope TEXT, created_at TEXT)',
  );
  const insert = db.prepare('INSERT INTO e VALUES (?, ?, ?, ?, ?, ?)');
  const select = db.prepare(
    `SELECT seq, id, session_id, envelope, created_at FROM e WHERE session_id = ? AND seq > COALESCE(?, 0)
     AND occurred_at >= COALESCE(?, occurred_at) AND occurred_at <= COALESCE(?, occurred_at)
     ORDER BY seq LIMIT COALESCE(?, -1)`,
  );
  const seqs = new Map();
  const append = async (e) => {
    const seq = (seqs.get(e.sessionId) ?? 0) + 1;
    seqs.set(e.sessionId, seq);
    insert.run(e.id, e.sessionId, seq, e.occurredAt, JSON.stringify(e), new Date().toISOString());
    return seq;
  };
  const line = await measured(P * N, () =>
    Promise.all(
      Array.from({ length: P }, async (_, p) => {
        for (let i = 0; i < N; i++) await append(env(`p${p}`, i));
      }),
    ),
  );
  async function* stream(s) {
    for (const row of select.all(s, null, null, null, null)) {
      yield {
        id: row.id,
        sessionId: row.session_id,
        seq: row.seq,
        envelope: JSON.parse(row.envelope),
        createdAt: row.created_at,
      };
    }
  }
  const out = [
    `P=${P}: ${line}`,
    ...(await replay(stream, async (es) => {
      for (const e of es) await append(e);
    })),
  ];
  db.close();
  return out;
}

async function store(options) {
  const s = await createSqliteHistoryStore({ filename: join(dir, 'store.db'), ...options });
  await Promise.all(Array.from({ length: P }, (_, p) => s.append(env(`warm${p}`, 0))));
  const line = await measured(P * N, () =>
    Promise.all(
      Array.from({ length: P }, async (_, p) => {
        for (let i = 0; i < N; i++) await s.append(env(`p${p}`, i));
      }),
    ),
  );
  const out = [
    `P=${P}: ${line}`,
    ...(await replay(
      (id) => s.stream(id),
      (es) => s.appendMany(es),
    )),
  ];
  const bulk = [];
  for (let i = 0; i < 20_000; i++) bulk.push(env(`b${i % 50}`, i));
  out.push(
    `bulk appendMany x1000: ${await measured(bulk.length, async () => {
      for (let i = 0; i < bulk.length; i += 1000) await s.appendMany(bulk.slice(i, i + 1000));
    })}`,
  );
  await s.close();
  return out;
}

const run = {
  floor,
  baseline,
  store: () => store({}),
  threads: () => store({ inlineWriteRows: 0, inlineReadRows: 0 }),
}[variant];
if (!run) throw new Error(`unknown variant ${variant}: floor, baseline, store, threads`);
try {
  for (const line of await run()) console.log(`${variant} ${line}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
