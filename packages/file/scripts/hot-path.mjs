// The agent hot path, each figure next to what it is judged against, in one run:
// - P producers (one session each) awaiting one append after another, vs the previous store
//   (mkdir -p + appendFile of one JSON line per event) and the raw floor (JSON.stringify and
//   one write per session per round to an already-open fd, no store);
// - appendMany batches of 1,000 events spread at random over 5,000 vs 50 sessions (a first
//   pass creating the files, then a second over the same sessions), with open descriptors;
// - replay of whole 100- and 1,000-event sessions vs the previous store (readFile, split,
//   JSON.parse of every line, yielded by an async generator).
// Rates are the median of 4 rounds, as in the repository benchmark; latencies over 300 reads.
// Usage: pnpm --filter @history/file build && node packages/file/scripts/hot-path.mjs
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createFileHistoryStore } from '../dist/index.js';

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
const temp = () => mkdtempSync(join(tmpdir(), 'history-file-hot-'));
const loop = monitorEventLoopDelay({ resolution: 5 });
const measured = async (run) => {
  loop.reset();
  loop.enable();
  const value = await run();
  loop.disable();
  return { ...value, loopP99Ms: Math.round(loop.percentile(99) / 1e5) / 10 };
};
const medianOf4 = (rates) => {
  const s = [...rates].sort((a, b) => a - b);
  return Math.round((s[1] + s[2]) / 2);
};
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.ceil(q * xs.length) - 1].toFixed(2);

/** One round: every producer writes its share; returns events per second of each round. */
async function rounds(P, N, round) {
  const rates = [];
  for (let r = 0; r < 4; r++) {
    const t = performance.now();
    await round(r * (N / 4), (r + 1) * (N / 4));
    rates.push(((P * N) / 4 / (performance.now() - t)) * 1000);
  }
  return { rate: medianOf4(rates) };
}

async function concurrent(kind, P, N) {
  const dir = temp();
  const events = Array.from({ length: P }, (_, p) =>
    Array.from({ length: N }, (_, i) => env(`p${p}`, i)),
  );
  try {
    if (kind === 'store') {
      const store = await createFileHistoryStore({ root: dir });
      const result = await measured(() =>
        rounds(P, N, (from, to) =>
          Promise.all(
            events.map(async (es) => {
              for (let i = from; i < to; i++) await store.append(es[i]);
            }),
          ),
        ),
      );
      await store.close();
      return result;
    }
    if (kind === 'floor') {
      const fds = events.map((_, p) => openSync(join(dir, `f${p}`), 'a'));
      const result = await measured(() =>
        rounds(P, N, async (from, to) => {
          for (let i = from; i < to; i++) {
            for (let p = 0; p < P; p++) writeSync(fds[p], `${JSON.stringify(events[p][i])}\n`);
            await new Promise((resolve) => setImmediate(resolve));
          }
        }),
      );
      for (const fd of fds) closeSync(fd);
      return result;
    }
    let seq = 0;
    return await measured(() =>
      rounds(P, N, (from, to) =>
        Promise.all(
          events.map(async (es) => {
            for (let i = from; i < to; i++) {
              const e = es[i];
              const sessionDir = join(dir, encodeURIComponent(e.sessionId));
              await mkdir(sessionDir, { recursive: true });
              const line = {
                seq: ++seq,
                id: e.id,
                sessionId: e.sessionId,
                createdAt: new Date().toISOString(),
                envelope: e,
              };
              await appendFile(join(sessionDir, 'events.jsonl'), `${JSON.stringify(line)}\n`);
            }
          }),
        ),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function ingest(sessions, total = 20_000) {
  const dir = temp();
  const store = await createFileHistoryStore({ root: dir });
  let x = 12345;
  const random = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x / 0x80000000;
  };
  const counts = new Array(sessions).fill(0);
  const passes = [];
  for (const pass of [0, 1]) {
    const all = Array.from({ length: total }, () => {
      const s = Math.floor(random() * sessions);
      return env(`i${s}`, pass * 1e6 + counts[s]++);
    });
    passes.push(
      await measured(async () => {
        const result = await rounds(1, total, async (from, to) => {
          for (let i = from; i < to; i += 1000)
            await store.appendMany(all.slice(i, Math.min(to, i + 1000)));
        });
        return { ...result, openFds: readdirSync('/proc/self/fd').length };
      }),
    );
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return passes;
}

async function replay(size) {
  const dir = temp();
  const store = await createFileHistoryStore({ root: dir });
  const all = Array.from({ length: size }, (_, i) => env(`r${size}`, i));
  for (let i = 0; i < size; i += 500) await store.appendMany(all.slice(i, i + 500));
  const prevFile = join(dir, 'previous.jsonl');
  writeFileSync(
    prevFile,
    all
      .map(
        (envelope, i) =>
          `${JSON.stringify({ seq: i + 1, id: envelope.id, sessionId: envelope.sessionId, createdAt: new Date().toISOString(), envelope })}\n`,
      )
      .join(''),
  );
  async function* previous() {
    const lines = (await readFile(prevFile, 'utf8'))
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l));
    for (const l of lines)
      yield {
        id: l.id,
        sessionId: l.sessionId,
        seq: l.seq,
        envelope: l.envelope,
        createdAt: l.createdAt,
      };
  }
  // Alternated read by read, so a GC or a burst of someone else's work hits both alike.
  const ms = { store: [], previous: [] };
  const opens = { store: () => store.stream(`r${size}`), previous };
  const { loopP99Ms } = await measured(async () => {
    for (let k = 0; k < 300; k++) {
      for (const name of ['store', 'previous']) {
        const t = performance.now();
        let n = 0;
        for await (const _ of opens[name]()) n++;
        ms[name].push(performance.now() - t);
        if (n !== size) throw new Error(`${name} read ${n} of ${size}`);
      }
    }
    return {};
  });
  const out = { loopP99Ms };
  for (const name of ['store', 'previous']) {
    out[name] = { p50: pct(ms[name], 0.5), p95: pct(ms[name], 0.95), p99: pct(ms[name], 0.99) };
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

for (const [P, N] of [
  [256, 40],
  [16, 400],
]) {
  const store = await concurrent('store', P, N);
  const floor = await concurrent('floor', P, N);
  const previous = await concurrent('previous', P, N);
  console.log(`P=${P}`, JSON.stringify({ store, floor, previous }));
  console.log(
    `  store/floor ${(store.rate / floor.rate).toFixed(2)}, store/previous ${(store.rate / previous.rate).toFixed(2)}`,
  );
}
const fifty = await ingest(50);
const many = await ingest(5000);
console.log('ingest 50 sessions', JSON.stringify(fifty));
console.log('ingest 5,000 sessions', JSON.stringify(many));
console.log(
  `  5,000/50: first pass ${(many[0].rate / fifty[0].rate).toFixed(2)}, second pass ${(many[1].rate / fifty[1].rate).toFixed(2)}`,
);
for (const size of [100, 1000]) {
  const r = await replay(size);
  console.log(`replay ${size}`, JSON.stringify(r));
  console.log(
    `  p95 previous/store ${(r.previous.p95 / r.store.p95).toFixed(2)}, store p99/p50 ${(r.store.p99 / r.store.p50).toFixed(2)}`,
  );
}
