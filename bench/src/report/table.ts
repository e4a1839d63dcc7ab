import type { BenchResult } from '../results.js';
import { figures, improvement } from './figures.js';

export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '-';
  if (value >= 1000) return Math.round(value).toLocaleString('en-US');
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value > 0 && value < 0.01) return value.toPrecision(1);
  return value.toFixed(2);
}

const formatRatio = (x: number | undefined) =>
  x === undefined ? '' : `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}x`;
const formatShare = (x: number | undefined) => (x === undefined ? '' : `${Math.round(x * 100)}%`);

/** Lays out rows of cells in columns: the first left-aligned, the rest right-aligned. */
export function columns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The terminal report: per adapter, every figure with the baseline's and the
 * ceiling's, and how the adapter compares ("x better" than the baseline,
 * "% of" the ceiling); then the targets, pass or miss.
 */
export function renderTable(result: BenchResult): string {
  const { machine, workload } = result;
  const out: string[] = [
    `History Store benchmark (${result.mode}, seed ${result.seed}) on ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, ${machine.platform}, Node ${machine.node}: ${result.seconds.toFixed(1)} s`,
    `load average (1/5/15 min) at start ${machine.loadAverageAtStart.join(' ')}, at end ${machine.loadAverageAtEnd.join(' ')}; idle event-loop delay p99 ${machine.idleEventLoopDelayP99Ms} ms`,
    `workload: ${workload.events.toLocaleString('en-US')} events, mean ${workload.meanBytes} B, p99 ${workload.p99Bytes} B, max ${workload.maxBytes} B of JSON, ${(workload.largeShare * 100).toFixed(2)}% of 20 KB or more; postgres: ${result.postgres ?? 'not used'}`,
  ];
  const n = (v: number) => v.toLocaleString('en-US');
  const sz = result.sizes;
  const producers = sz.producerCounts
    .map(
      (p) =>
        `${p} x ${n(sz.appendsPerProducer[p] ?? 0)} (baseline x ${n(sz.baselineAppendsPerProducer[p] ?? 0)})`,
    )
    .join(', ');
  out.push(
    `sizes: ingest ${n(sz.ingestEvents)} events (baseline ${n(sz.baselineIngestEvents)}); over ${n(sz.manySessions)} sessions ${n(sz.manySessionsEvents)}; turns ${n(sz.turnsTotal)}; producers ${producers}; whole sessions ${sz.wholeSessionSizes.map(n).join(' and ')} events, ${n(sz.wholeSessionReads)} reads each (baseline ${n(sz.baselineWholeSessionReads)}); replay page = first ${n(sz.pageSize)} events of a ${n(sz.deepEvents)}-event session, after deep = ${n(sz.pageSize)} events after a cursor in its last ${n(2 * sz.pageSize)}`,
  );
  if (result.scenarios.includes('lifecycle')) {
    out.push(
      `lifecycle (adapters only, a fresh store): purge ${n(sz.purgeExpiredEvents)} expired events over ${n(sz.purgeSessions)} sessions (${n(sz.purgeLiveEventsPerSession)} live events each must survive) while ${n(sz.purgeProducers)} producers append; listSessions over ${n(sz.listSessions)} sessions`,
    );
  }
  if (result.scenarios.includes('follow')) {
    out.push(
      `follow (adapters only, a fresh store): ${n(sz.deliveryAppends)} single appends at random intervals (5 ms on average), each timed until a session follower and a feed follower in the process and a feed follower in another process hold it; then feed() over ${n(sz.catchUpEvents)} events of ${n(sz.catchUpSessions)} sessions against stream() of each session whole`,
    );
  }
  out.push(
    'vs baseline: how many times better the adapter is than the previous store (rates: adapter/baseline; latencies: baseline/adapter).',
    'of floor: adapter rate as a share of the raw driver serving the same producers with perfect group commit (memory: of JSON.stringify alone).',
    'of ceiling: adapter rate as a share of the raw driver writing pre-serialised rows in bulk.',
  );
  for (const a of result.adapters) {
    const { adapter, baseline, ceiling, floor } = a.runs;
    const settings = Object.entries(a.settings)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
    out.push('', `${a.adapter}${settings ? ` (${settings})` : ''}`);
    if (a.error) out.push(`  ERROR: ${a.error}`);
    if (baseline?.error) out.push(`  baseline ERROR: ${baseline.error}`);
    if (ceiling?.error) out.push(`  ceiling ERROR: ${ceiling.error}`);
    if (floor?.error) out.push(`  floor ERROR: ${floor.error}`);
    const rows: string[][] = [
      [
        '  figure',
        'adapter',
        'baseline',
        'vs baseline',
        'floor',
        'of floor',
        'ceiling',
        'of ceiling',
      ],
    ];
    for (const f of figures(result.sizes)) {
      const v = f.get(adapter);
      const b = f.get(baseline);
      const fl = f.hasFloor ? f.get(floor) : undefined;
      const c = f.hasCeiling ? f.get(ceiling) : undefined;
      if (v === undefined && b === undefined && c === undefined && fl === undefined) continue;
      const rate = f.unit === 'ev/s' || f.unit === 'MB/s';
      rows.push([
        `  ${f.label} (${f.unit})`,
        formatNumber(v),
        formatNumber(b),
        formatRatio(improvement(f, v, b)),
        formatNumber(fl),
        formatShare(rate ? improvement(f, v, fl) : undefined),
        formatNumber(c),
        formatShare(rate ? improvement(f, v, c) : undefined),
      ]);
    }
    if (rows.length > 1) out.push(...columns(rows));
  }
  if (result.targets.length > 0) {
    out.push('', 'targets');
    const rows = result.targets.map((t) => {
      const value =
        t.value === null
          ? 'not measured'
          : t.unit === 'ratio'
            ? formatShare(t.value)
            : t.unit === 'x'
              ? formatRatio(t.value)
              : t.unit === 'count'
                ? formatNumber(t.value)
                : `${formatNumber(t.value)} ms`;
      return [`  ${t.pass ? 'PASS' : 'MISS'}  ${t.adapter.padEnd(8)} ${t.target}`, value];
    });
    out.push(
      ...columns(rows).map((line, k) => {
        const note = result.targets[k]!.note;
        return note ? `${line}  (${note})` : line;
      }),
    );
  }
  return out.join('\n');
}
