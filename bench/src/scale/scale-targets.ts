import type { ScaleCheckpoint, ScaleLayoutResult, ScaleTarget } from './scale-result.js';

/** Issue 15: from the first checkpoint to the last, append cost and read latency grow by at most this. */
export const SCALE_COST_X = 1.5;

/**
 * The metrics held to the target, each a rate (cost is its inverse) or a latency. Rates are
 * the median of four rounds', tail latencies the median of four rounds' own p99 or p95, as
 * everywhere in the benchmark: on a shared machine, a burst of someone else's work then moves
 * one round, not the figure compared across checkpoints.
 */
export const SCALE_METRICS: ReadonlyArray<{
  metric: string;
  unit: 'ev/s' | 'ms';
  get(c: ScaleCheckpoint): number;
}> = [
  {
    metric: 'bulk load (appendMany), last waves',
    unit: 'ev/s',
    get: (c) => c.load.lastWaves.eventsPerSec,
  },
  {
    metric: 'single appends onto loaded sessions',
    unit: 'ev/s',
    get: (c) => c.appendExisting.eventsPerSec,
  },
  {
    metric: 'single appends onto loaded sessions p99',
    unit: 'ms',
    get: (c) => c.appendExisting.appendP99MedianRoundMs ?? Number.NaN,
  },
  {
    metric: 'single appends creating sessions',
    unit: 'ev/s',
    get: (c) => c.appendNew.eventsPerSec,
  },
  {
    metric: 'single appends creating sessions p99',
    unit: 'ms',
    get: (c) => c.appendNew.appendP99MedianRoundMs ?? Number.NaN,
  },
  {
    metric: 'replay of the last events p95',
    unit: 'ms',
    get: (c) => c.recentReplay.p95MedianRoundMs,
  },
  {
    metric: 'replay of a whole session p95',
    unit: 'ms',
    get: (c) => c.wholeReplay.p95MedianRoundMs,
  },
];

const known = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);

/**
 * One target per metric and layout: its cost at the last checkpoint within `SCALE_COST_X`
 * of its cost at the first. A layout that failed, or a metric not measured, misses.
 */
export function scaleTargets(layouts: readonly ScaleLayoutResult[]): ScaleTarget[] {
  return layouts.flatMap((l) =>
    SCALE_METRICS.map(({ metric, unit, get }) => {
      const first = known(l.checkpoints[0] && get(l.checkpoints[0]));
      const last = known(l.checkpoints.length > 1 ? get(l.checkpoints.at(-1)!) : undefined);
      const raw =
        first === null || last === null || first === 0 || last === 0
          ? null
          : unit === 'ev/s'
            ? first / last
            : last / first;
      const costRatio = raw === null ? null : Math.round(raw * 1000) / 1000;
      return {
        layout: l.layout,
        metric,
        unit,
        first,
        last,
        costRatio,
        threshold: SCALE_COST_X,
        pass: costRatio !== null && costRatio <= SCALE_COST_X,
      };
    }),
  );
}
