import type { AdapterResult, Scenario, TargetCheck } from './results.js';

/** The review's targets: ingest vs ceiling, hot path vs baseline, page latency, event-loop delay. */
const INGEST_SHARE: Record<string, number> = { file: 0.7, sqlite: 0.6, postgres: 0.7 };
const PAGE_P95_MS: Record<string, number> = { file: 10, sqlite: 5, postgres: 10 };
const CONCURRENT_X = 10;
const SQLITE_INGEST_ELD_MS = 20;

function check(
  adapter: string,
  target: string,
  value: number | undefined,
  threshold: number,
  unit: TargetCheck['unit'],
  higherIsBetter: boolean,
): TargetCheck {
  const v = value === undefined || !Number.isFinite(value) ? null : Math.round(value * 1000) / 1000;
  const pass = v !== null && (higherIsBetter ? v >= threshold : v < threshold);
  return { adapter, target, value: v, threshold, unit, pass };
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

/** One line per target that applies to the adapters and scenarios run; unmeasurable ones miss. */
export function checkTargets(
  adapters: readonly AdapterResult[],
  scenarios: readonly Scenario[],
): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const { adapter: name, runs } of adapters) {
    const share = INGEST_SHARE[name];
    if (share === undefined) continue;
    const { adapter, baseline, ceiling } = runs;
    if (scenarios.includes('ingest')) {
      const v = ratio(adapter.ingest?.eventsPerSec, ceiling?.ingest?.eventsPerSec);
      out.push(
        check(name, `bulk ingest >= ${share * 100}% of raw ceiling`, v, share, 'ratio', true),
      );
    }
    if (scenarios.includes('concurrent')) {
      const v = ratio(adapter.concurrent?.eventsPerSec, baseline?.concurrent?.eventsPerSec);
      out.push(
        check(
          name,
          `16 concurrent appends >= ${CONCURRENT_X}x baseline`,
          v,
          CONCURRENT_X,
          'x',
          true,
        ),
      );
    }
    if (scenarios.includes('replay')) {
      const ms = PAGE_P95_MS[name]!;
      out.push(
        check(
          name,
          `replay p95 of a 1,000-event page < ${ms} ms`,
          adapter.replay?.page.p95Ms,
          ms,
          'ms',
          false,
        ),
      );
    }
    if (name === 'sqlite' && scenarios.includes('ingest')) {
      const v = adapter.ingest?.eventLoopDelayP99Ms;
      out.push(
        check(
          name,
          `event-loop delay p99 during ingest < ${SQLITE_INGEST_ELD_MS} ms`,
          v,
          SQLITE_INGEST_ELD_MS,
          'ms',
          false,
        ),
      );
    }
  }
  return out;
}
