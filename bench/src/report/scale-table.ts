import { compactCount } from '../scale/compact-count.js';
import type { ScaleCheckpoint, ScaleResult } from '../scale/scale-result.js';
import { columns, formatNumber } from './table.js';

const n = (v: number) => v.toLocaleString('en-US');
const mb = (bytes: number) => bytes / 1048576;

interface Row {
  label: string;
  unit: string;
  get(c: ScaleCheckpoint): number | undefined;
}

/** The figures of one checkpoint, in the order the table shows them. */
function rows(result: ScaleResult): Row[] {
  const { sizes } = result;
  const perSession = sizes.events / sizes.sessions;
  const indexes = new Set(
    result.layouts.flatMap((l) =>
      l.checkpoints.flatMap((c) => Object.keys(c.tables.eventsIndexBytes)),
    ),
  );
  const row = (label: string, unit: string, get: Row['get']): Row => ({ label, unit, get });
  return [
    row('load since the previous checkpoint', 'ev/s', (c) => c.load.eventsPerSec),
    row('bulk load (appendMany), its last waves', 'ev/s', (c) => c.load.lastWaves.eventsPerSec),
    row(
      `${sizes.producers} producers' single appends onto loaded sessions`,
      'ev/s',
      (c) => c.appendExisting.eventsPerSec,
    ),
    row('  append latency p50', 'ms', (c) => c.appendExisting.appendLatency?.p50Ms),
    row('  append latency p99', 'ms', (c) => c.appendExisting.appendLatency?.p99Ms),
    row('  p99, median of the rounds', 'ms', (c) => c.appendExisting.appendP99MedianRoundMs),
    row(
      `${sizes.producers} producers' single appends creating sessions`,
      'ev/s',
      (c) => c.appendNew.eventsPerSec,
    ),
    row('  append latency p50', 'ms', (c) => c.appendNew.appendLatency?.p50Ms),
    row('  append latency p99', 'ms', (c) => c.appendNew.appendLatency?.p99Ms),
    row('  p99, median of the rounds', 'ms', (c) => c.appendNew.appendP99MedianRoundMs),
    row(`replay of the last ${sizes.recentEvents} events p50`, 'ms', (c) => c.recentReplay.p50Ms),
    row('  p95', 'ms', (c) => c.recentReplay.p95Ms),
    row('  p99', 'ms', (c) => c.recentReplay.p99Ms),
    row('  p95, median of the rounds', 'ms', (c) => c.recentReplay.p95MedianRoundMs),
    row(`replay of a whole ${n(perSession)}-event session p50`, 'ms', (c) => c.wholeReplay.p50Ms),
    row('  p95', 'ms', (c) => c.wholeReplay.p95Ms),
    row('  p99', 'ms', (c) => c.wholeReplay.p99Ms),
    row('  p95, median of the rounds', 'ms', (c) => c.wholeReplay.p95MedianRoundMs),
    row('VACUUM (ANALYZE) before measuring', 's', (c) => c.vacuumSeconds),
    row('CHECKPOINT after it', 's', (c) => c.checkpointSeconds),
    row('events: rows', 'rows', (c) => c.tables.storedEvents),
    row('events: heap', 'MB', (c) => mb(c.tables.eventsHeapBytes)),
    row('events: TOAST and maps', 'MB', (c) => mb(c.tables.eventsToastBytes)),
    ...[...indexes].map((name) =>
      row(`events: index ${name}`, 'MB', (c) => {
        const bytes = c.tables.eventsIndexBytes[name];
        return bytes === undefined ? undefined : mb(bytes);
      }),
    ),
    row('events: total (pg_total_relation_size)', 'MB', (c) => mb(c.tables.eventsTotalBytes)),
    row('  per row', 'B', (c) => c.tables.eventsTotalBytes / Math.max(1, c.tables.storedEvents)),
    row('sessions: total', 'MB', (c) => mb(c.tables.sessionsTotalBytes)),
  ];
}

const formatX = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}x`);

/**
 * The terminal report of `pnpm bench --scale`: per layout, every figure at each checkpoint
 * and the last over the first; then one target line per metric and layout.
 */
export function renderScaleTable(result: ScaleResult): string {
  const { machine, sizes, server, workload } = result;
  const [first, last] = [sizes.midpoint, sizes.events].map(compactCount) as [string, string];
  const perSession = sizes.events / sizes.sessions;
  const out: string[] = [
    `History Store scale benchmark (PostgreSQL, seed ${result.seed}) on ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, ${machine.platform}, Node ${machine.node}: ${result.seconds.toFixed(1)} s`,
    `load average (1/5/15 min) at start ${machine.loadAverageAtStart.join(' ')}, at end ${machine.loadAverageAtEnd.join(' ')}; idle event-loop delay p99 ${machine.idleEventLoopDelayP99Ms} ms`,
    `postgres: ${result.postgres ?? 'none'}${server ? `, server ${server.version}, shared_buffers ${server.sharedBuffers}, effective_cache_size ${server.effectiveCacheSize}` : ''}`,
    `load: ${n(sizes.events)} events over ${n(sizes.sessions)} sessions (${n(perSession)} each), measured at ${n(sizes.midpoint)} and ${n(sizes.events)}; ${sizes.loaders} concurrent loaders, appendMany of ${n(sizes.batchSize)}, ${n(sizes.waveSessions)} sessions interleaved at a time; layouts: ${sizes.layouts.map((l) => (l === 'partitioned' ? `partitioned (${sizes.partitions} hash partitions)` : l)).join(', ')}`,
    `at each checkpoint: VACUUM (ANALYZE), then ${n(sizes.recentReads)} replays of the last ${sizes.recentEvents} events and ${n(sizes.wholeReads)} whole-session replays of random loaded sessions (one at a time, after ${n(sizes.warmUpReads)} untimed each), then ${sizes.producers} producers x ${n(sizes.appendsPerProducer)} single appends onto random loaded sessions, and as many creating sessions`,
    `workload: the transcript workload, envelope JSON mean ${workload.meanBytes} B, p99 ${workload.p99Bytes} B, max ${workload.maxBytes} B, ${(workload.largeShare * 100).toFixed(2)}% of 20 KB or more`,
  ];
  const header = ['  figure'];
  for (const l of result.layouts)
    header.push(`${l.layout} ${first}`, `${last}`, `${last}/${first}`);
  const table: string[][] = [header];
  for (const r of rows(result)) {
    const cells = [`  ${r.label} (${r.unit})`];
    for (const l of result.layouts) {
      const [a, b] = [l.checkpoints[0], l.checkpoints[1]].map((c) => (c ? r.get(c) : undefined));
      cells.push(
        formatNumber(a),
        formatNumber(b),
        a !== undefined && b !== undefined && a > 0 ? formatX(b / a) : '',
      );
    }
    table.push(cells);
  }
  out.push('');
  for (const l of result.layouts) {
    if (l.error) out.push(`${l.layout} ERROR: ${l.error}`);
  }
  out.push(...columns(table));
  out.push(
    '',
    `targets: each cost at ${last} within ${result.targets[0]?.threshold ?? 1.5}x of ${first} (rates: ${first} / ${last}; tail latencies, the median of the rounds': ${last} / ${first})`,
  );
  const lines = result.targets.map((t) => {
    const values =
      t.first === null || t.last === null
        ? 'not measured'
        : `${formatNumber(t.first)} -> ${formatNumber(t.last)} ${t.unit}`;
    return [
      `  ${t.pass ? 'PASS' : 'MISS'}  ${t.layout.padEnd(11)} ${t.metric}`,
      values,
      formatX(t.costRatio),
    ];
  });
  out.push(...columns(lines));
  return out.join('\n');
}
