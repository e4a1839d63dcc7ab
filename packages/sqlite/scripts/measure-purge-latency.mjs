// What appends wait for beside a purge: 4 producers append single events (a new session every
// `sessionEvents`) for 10 s idle, then while `purgeExpired()` removes `expired` events loaded
// over `sessions` sessions (tooling/purge-workload.mjs, as `pnpm bench --full`'s lifecycle
// scenario does). Prints the appends' latency idle and during the purge, the purge's slices, the batches written inline
// (by WAL frames: a seal of 128 ids writes many) and those sent to the writer thread, GC, and
// what each append slower than twice the idle p99 overlapped.
//   node --expose-gc scripts/measure-purge-latency.mjs [expired] [sessions] [sessionEvents]
// Reaches into the build (`dist`) to time tasks: a measuring script, not an API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { loadExpired, measurePurge, quantiles } from '../../../tooling/purge-workload.mjs';
import { createSqliteHistoryStore } from '../dist/index.js';
import { SqliteBackend } from '../dist/sqlite-backend.js';
import { MainThreadLane } from '../dist/threads/main-thread-lane.js';

const expired = Number(process.argv[2] ?? 300_000);
const sessions = Number(process.argv[3] ?? 1_000);
const sessionEvents = Number(process.argv[4] ?? 1_000);

let phase; // undefined while not measuring, then 'idle', then 'purge'
const tasks = { idle: [], purge: [] }; // [kind, sync ms, total ms]
const batches = { idle: {}, purge: {} }; // by WAL frames written: count, sync > 1.5 ms
const gcs = { idle: [], purge: [] };
const overlaps = []; // [kind, start, end] during the purge: slices, long batches, GC

// Times each task's synchronous part (inline on the main thread) and its whole wait.
const run = SqliteBackend.prototype.run;
SqliteBackend.prototype.run = function (target, task, short) {
  const started = performance.now();
  const result = run.call(this, target, task, short);
  if (phase) {
    const entry = [task.kind, performance.now() - started, 0];
    if (phase === 'purge' && task.kind === 'purgeRemove') {
      overlaps.push(['slice', started, performance.now()]);
    }
    tasks[phase].push(entry);
    result.then(
      () => (entry[2] = performance.now() - started),
      () => {},
    );
  }
  return result;
};
// Counts the WAL frames each inline batch wrote.
const write = MainThreadLane.prototype.write;
MainThreadLane.prototype.write = function (task) {
  const before = this.wal.read();
  const started = performance.now();
  const result = write.call(this, task);
  if (phase && task.kind === 'writeBatch') {
    const after = this.wal.read();
    const kind =
      result === undefined
        ? 'to writer thread'
        : after < before
          ? 'WAL restarted'
          : after - before > 12
            ? '> 12 frames (a seal)'
            : '<= 12 frames';
    if (phase === 'purge' && (kind !== '<= 12 frames' || performance.now() - started > 0.3)) {
      overlaps.push([
        kind === '<= 12 frames' ? 'batch > 0.3 ms' : kind,
        started,
        performance.now(),
      ]);
    }
    batches[phase][kind] ??= { n: 0, slowerThan1_5ms: 0 };
    const entry = batches[phase][kind];
    entry.n++;
    if (performance.now() - started > 1.5) entry.slowerThan1_5ms++;
  }
  return result;
};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (phase) gcs[phase].push(e.duration);
    if (phase === 'purge') overlaps.push(['GC', e.startTime, e.startTime + e.duration]);
  }
}).observe({ entryTypes: ['gc'] });

const dir = mkdtempSync(join(tmpdir(), 'purge-latency-'));
const store = await createSqliteHistoryStore({ filename: join(dir, 'db.sqlite') });
await loadExpired(store, expired, sessions);
const {
  result: { deletedEvents },
  seconds,
  appends,
} = await measurePurge(store, {
  sessionEvents,
  onPhase: (p) => {
    phase = p;
  },
});
const idle = appends.idle.map(([, ms]) => ms);
const during = appends.purge.map(([, ms]) => ms);
const spans = appends.purge.map(([start, ms]) => [start, start + ms]);

console.log(`purged ${deletedEvents} events in ${seconds.toFixed(1)} s`);
for (const [name, samples] of [
  ['idle', idle],
  ['purge', during],
]) {
  console.log(`${name}: appends ${quantiles(samples)}`);
  const sync = (kind) => tasks[name].filter((t) => t[0] === kind);
  console.log(`  inline batches (sync part) ${quantiles(sync('writeBatch').map((t) => t[1]))}`);
  if (name === 'purge')
    console.log(`  purge slices (sync part) ${quantiles(sync('purgeRemove').map((t) => t[1]))}`);
  console.log(`  batches: ${JSON.stringify(batches[name])}`);
  console.log(`  GC: ${gcs[name].length} pauses, ${quantiles(gcs[name])}`);
}
// Each slow append by what it overlapped (several at once joined by '+').
const slowerThan = 2 * [...idle].sort((a, b) => a - b)[Math.floor(0.99 * idle.length)];
const causes = {};
let slow = 0;
for (const [a, b] of spans) {
  if (b - a <= slowerThan) continue;
  slow++;
  const kinds = new Set(overlaps.filter(([, x, y]) => x < b && y > a).map(([k]) => k));
  const key = [...kinds].sort().join(' + ') || 'nothing seen';
  causes[key] = (causes[key] ?? 0) + 1;
}
console.log(`appends during the purge slower than ${slowerThan.toFixed(2)} ms: ${slow}`);
console.log(`  overlapping: ${JSON.stringify(causes)}`);
await store.close();
rmSync(dir, { recursive: true, force: true });
