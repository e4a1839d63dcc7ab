import type { RunResult } from '../results.js';

/** One figure of a run, as the table and the chart show it. */
export interface Figure {
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  get(run: RunResult | null | undefined): number | undefined;
  /** Only ingest has a raw ceiling. */
  hasCeiling?: boolean;
  /** Drawn in the SVG chart. */
  chart?: boolean;
}

type Percentiles = { p50Ms: number; p95Ms: number; p99Ms: number };

/** p50, p95 and p99 rows of one latency measurement; p95 is charted. */
function latencies(
  label: string,
  of: (run: RunResult | null | undefined) => Percentiles | undefined,
): Figure[] {
  return (['p50', 'p95', 'p99'] as const).map((p) => ({
    label: `${label} ${p}`,
    unit: 'ms',
    better: 'lower' as const,
    get: (r: RunResult | null | undefined) => of(r)?.[`${p}Ms`],
    ...(p === 'p95' ? { chart: true } : {}),
  }));
}

export const FIGURES: readonly Figure[] = [
  {
    label: 'bulk ingest (appendMany)',
    unit: 'ev/s',
    better: 'higher',
    get: (r) => r?.ingest?.eventsPerSec,
    hasCeiling: true,
    chart: true,
  },
  {
    label: 'bulk ingest',
    unit: 'MB/s',
    better: 'higher',
    get: (r) => r?.ingest?.mbPerSec,
    hasCeiling: true,
  },
  {
    label: '16 concurrent appends',
    unit: 'ev/s',
    better: 'higher',
    get: (r) => r?.concurrent?.eventsPerSec,
    chart: true,
  },
  {
    label: '  append latency p50',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.concurrent?.appendLatency.p50Ms,
  },
  {
    label: '  append latency p99',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.concurrent?.appendLatency.p99Ms,
  },
  ...latencies('replay 1,000-event page', (r) => r?.replay?.page),
  ...latencies('replay page after deep', (r) => r?.replay?.afterDeep),
  ...latencies('replay full session', (r) => r?.replay?.fullStream),
  {
    label: 'getCheckpoint p95',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.checkpoint?.getCheckpoint.p95Ms,
    chart: true,
  },
  {
    label: 'event-loop delay p99, ingest',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.ingest?.eventLoopDelayP99Ms,
    hasCeiling: true,
  },
  {
    label: 'event-loop delay p99, concurrent',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.concurrent?.eventLoopDelayP99Ms,
  },
  {
    label: 'event-loop delay p99, replay',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.replay?.eventLoopDelayP99Ms,
  },
  {
    label: 'longest GC pause, ingest',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.ingest?.gcMaxPauseMs,
    hasCeiling: true,
  },
  {
    label: 'longest GC pause, concurrent',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.concurrent?.gcMaxPauseMs,
  },
  {
    label: 'longest GC pause, replay',
    unit: 'ms',
    better: 'lower',
    get: (r) => r?.replay?.gcMaxPauseMs,
  },
  {
    label: 'peak RSS (process)',
    unit: 'MB',
    better: 'lower',
    get: (r) => r?.peakRssMb,
    hasCeiling: true,
  },
  {
    label: 'RSS growth during run',
    unit: 'MB',
    better: 'lower',
    get: (r) => r?.rssGrowthMb,
    hasCeiling: true,
  },
];

/**
 * How many times better `value` is than `reference` (> 1 is better), or
 * undefined when either is missing or zero.
 */
export function improvement(
  figure: Figure,
  value: number | undefined,
  reference: number | undefined,
) {
  if (value === undefined || reference === undefined || value <= 0 || reference <= 0)
    return undefined;
  return figure.better === 'higher' ? value / reference : reference / value;
}
