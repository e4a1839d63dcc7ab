// Measures the file adapter in both durability modes next to a naive baseline
// (open + append + close per event, plus fsync in 'fsync' mode) and the raw
// ceiling (pre-serialised lines, one write per session per batch, plus one
// fdatasync per touched file in 'fsync' mode), all in one run.
// Usage: pnpm --filter @history/file build && node packages/file/scripts/measure.mjs [events]
import { mkdtempSync, rmSync } from 'node:fs';
import { appendFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileHistoryStore } from '../dist/index.js';

const EVENTS = Number(process.argv[2] ?? 20_000);
const SESSIONS = 50;
const BATCH = 1_000;
const PRODUCERS = 16;
const PER_PRODUCER = 250;
const DEEP = 100_000;
const text = 'lorem ipsum dolor sit amet '.repeat(20); // ~540 B payload, ~640 B envelopes

const envelope = (i, sessionId) => ({
  id: `evt-${i}`,
  type: 'assistant',
  sessionId,
  occurredAt: new Date(Date.UTC(2025, 0, 1) + i).toISOString(),
  payload: { i, text },
});
const p95 = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
const rate = (n, ms) => Math.round((n * 1000) / ms);
const dirs = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'history-file-measure-'));
  dirs.push(d);
  return d;
};

async function bulk(store, n) {
  const all = Array.from({ length: n }, (_, i) => envelope(i, `s${i % SESSIONS}`));
  const t = performance.now();
  for (let i = 0; i < n; i += BATCH) await store.appendMany(all.slice(i, i + BATCH));
  return rate(n, performance.now() - t);
}

async function concurrent(append, perProducer) {
  const t = performance.now();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async (_, p) => {
      for (let i = 0; i < perProducer; i++) await append(envelope(i, `p${p}`));
    }),
  );
  return rate(PRODUCERS * perProducer, performance.now() - t);
}

/** The naive way: one open/append/close (and fsync) per event, a file per session. */
function naive(root, durable) {
  return async (e) => {
    const path = join(root, `${encodeURIComponent(e.sessionId)}.jsonl`);
    if (!durable) return appendFile(path, `${JSON.stringify(e)}\n`);
    const fd = await open(path, 'a');
    try {
      await fd.write(`${JSON.stringify(e)}\n`);
      await fd.datasync();
    } finally {
      await fd.close();
    }
  };
}

/** The ceiling: pre-serialised lines, one handle per session, one write (+ fdatasync) per session per batch. */
async function ceiling(n, durable) {
  const root = temp();
  const lines = Array.from({ length: n }, (_, i) => ({
    s: `s${i % SESSIONS}`,
    line: `${JSON.stringify(envelope(i, `s${i % SESSIONS}`))}\n`,
  }));
  const handles = new Map();
  const t = performance.now();
  for (let i = 0; i < n; i += BATCH) {
    const by = new Map();
    for (const r of lines.slice(i, i + BATCH)) by.set(r.s, (by.get(r.s) ?? '') + r.line);
    await Promise.all(
      [...by].map(async ([s, chunk]) => {
        let fd = handles.get(s);
        if (!fd) {
          fd = await open(join(root, `${s}.jsonl`), 'a');
          handles.set(s, fd);
        }
        await fd.write(chunk);
        if (durable) await fd.datasync();
      }),
    );
  }
  const result = rate(n, performance.now() - t);
  await Promise.all([...handles.values()].map((fd) => fd.close()));
  return result;
}

async function replay(durability) {
  const root = temp();
  let store = await createFileHistoryStore({ root, durability });
  for (let i = 0; i < DEEP; i += 5_000) {
    await store.appendMany(Array.from({ length: 5_000 }, (_, k) => envelope(i + k, 'deep')));
  }
  await store.close();
  store = await createFileHistoryStore({ root, durability });
  const drain = async (range) => {
    let n = 0;
    const t = performance.now();
    for await (const _ of store.stream('deep', range)) n++;
    if (n !== 1_000) throw new Error(`read ${n}`);
    return performance.now() - t;
  };
  const page = [];
  const deep = [];
  for (let i = 0; i < 60; i++) {
    page.push(await drain({ limit: 1_000 }));
    deep.push(await drain({ after: DEEP - 2_000 + ((i * 37) % 1_000), limit: 1_000 }));
  }
  await store.close();
  return { page: p95(page.slice(5)).toFixed(2), deep: p95(deep.slice(5)).toFixed(2) };
}

try {
  for (const durability of ['os', 'fsync']) {
    const durable = durability === 'fsync';
    const store = await createFileHistoryStore({ root: temp(), durability });
    const bulkRate = await bulk(store, EVENTS);
    const concRate = await concurrent((e) => store.append(e), PER_PRODUCER);
    await store.close();
    const naiveBulk = await concurrent(naive(temp(), durable), durable ? 10 : 40); // per-event writes
    const ceilingRate = await ceiling(EVENTS, durable);
    const { page, deep } = await replay(durability);
    console.log(
      JSON.stringify({
        durability,
        bulkEvPerSec: bulkRate,
        concurrent16EvPerSec: concRate,
        naiveBaselineEvPerSec: naiveBulk,
        rawCeilingEvPerSec: ceilingRate,
        bulkOfCeiling: `${Math.round((bulkRate / ceilingRate) * 100)}%`,
        replayPageP95Ms: page,
        replayAfterDeepP95Ms: deep,
      }),
    );
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
