// What appends wait for beside a purge: 4 producers append single events (a new session every
// `sessionEvents`) for 10 s idle, then while `purgeExpired()` removes `expired` events loaded over
// `sessions` sessions (tooling/purge-workload.mjs, as `pnpm bench --full`'s lifecycle scenario
// does). Prints the appends'
// latency idle and during the purge, each compaction's step that holds the writer (from its
// `forgotten` step to its `renamed` one, the wait for the writer included), GC pauses, and what
// the appends slower than 1.5x the idle p99 overlapped.
//   node --expose-gc scripts/measure-purge-latency.mjs [expired] [sessions] [sessionEvents]
// Reaches into the build (`dist`) for the purger's step hook: a measuring script, not an API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { createBackendStore, resolveStoreOptions } from '@history/core/backend';
import { loadExpired, measurePurge, quantiles } from '../../../tooling/purge-workload.mjs';
import { resolveFileOptions } from '../dist/options.js';
import { openFileBackend } from '../dist/store.js';

const expired = Number(process.argv[2] ?? 1_000_000);
const sessions = Number(process.argv[3] ?? 1_000);
const sessionEvents = Number(process.argv[4] ?? 1_000);

let phase; // undefined while not measuring, then 'idle', then 'purge'
const intervals = { idle: [], purge: [] }; // [kind, start, end]
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (phase) intervals[phase].push(['gc', e.startTime, e.startTime + e.duration]);
  }
}).observe({ entryTypes: ['gc'] });

const dir = mkdtempSync(join(tmpdir(), 'file-purge-latency-'));
const backend = await openFileBackend(resolveFileOptions({ root: dir, durability: 'os' }));
const store = createBackendStore(backend, resolveStoreOptions({}));
let held;
backend.purger.onStep = (step) => {
  if (step === 'forgotten') held = performance.now();
  if (step === 'renamed' && phase && held !== undefined) {
    intervals[phase].push(['held', held, performance.now()]);
  }
};

await loadExpired(store, expired, sessions);
const {
  result,
  seconds,
  appends: latencies,
} = await measurePurge(store, {
  sessionEvents,
  onPhase: (p) => {
    phase = p;
  },
});
await new Promise((resolve) => setTimeout(resolve, 50)); // the last GC entries

const at = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const idleP99 = at(Float64Array.from(latencies.idle, ([, ms]) => ms).sort(), 0.99);
console.log(`purged ${result.deletedEvents} events in ${seconds.toFixed(1)} s`);
for (const p of ['idle', 'purge']) {
  console.log(`${p}: appends ${quantiles(latencies[p].map(([, ms]) => ms))}`);
  for (const kind of ['held', 'gc']) {
    const own = intervals[p].filter(([k]) => k === kind);
    if (own.length > 0) console.log(`  ${kind}: ${quantiles(own.map(([, s, e]) => e - s))}`);
  }
  // Each slow append, by what it overlapped.
  const slow = new Map();
  for (const [start, ms] of latencies[p]) {
    if (ms <= 1.5 * idleP99) continue;
    const hit = new Set();
    for (const [k, s, e] of intervals[p]) if (s < start + ms && e > start) hit.add(k);
    const key = [...hit].sort().join('+') || 'nothing recorded';
    slow.set(key, (slow.get(key) ?? 0) + 1);
  }
  console.log(
    `  appends over 1.5x idle p99, by what they overlapped: ${JSON.stringify(Object.fromEntries(slow))}`,
  );
}
await store.close();
rmSync(dir, { recursive: true, force: true });
