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

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const note = (text: string | undefined, suffix: string) =>
  text ? { note: `${text}${suffix}` } : {};

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? undefined : a / b;

/** One line per target that applies to the adapters and scenarios run; unmeasurable ones miss. */
export function checkTargets(
  adapters: readonly AdapterResult[],
  scenarios: readonly Scenario[],
): TargetCheck[] {
  const out: TargetCheck[] = [];
  // The memory store does everything but storage: where it misses too, core is the limit.
  const memory = adapters.find((a) => a.adapter === 'memory')?.runs.adapter;
  const floor = (label: string, v: number | undefined) =>
    v === undefined || !Number.isFinite(v) ? undefined : `${label} ${fmt(v)}`;
  for (const { adapter: name, runs } of adapters) {
    const share = INGEST_SHARE[name];
    if (share === undefined) continue;
    const { adapter, baseline, ceiling } = runs;
    if (scenarios.includes('ingest')) {
      const label = `bulk ingest >= ${share * 100}% of raw ceiling`;
      const v = ratio(adapter.ingest?.eventsPerSec, ceiling?.ingest?.eventsPerSec);
      const m = ratio(memory?.ingest?.eventsPerSec, ceiling?.ingest?.eventsPerSec);
      out.push({
        ...check(name, label, v, share, 'ratio', true),
        ...note(floor('memory store reaches', m === undefined ? m : m * 100), '% of it'),
      });
    }
    if (scenarios.includes('concurrent')) {
      const label = `16 concurrent appends >= ${CONCURRENT_X}x baseline`;
      const v = ratio(adapter.concurrent?.eventsPerSec, baseline?.concurrent?.eventsPerSec);
      const m = ratio(memory?.concurrent?.eventsPerSec, baseline?.concurrent?.eventsPerSec);
      out.push({
        ...check(name, label, v, CONCURRENT_X, 'x', true),
        ...note(floor('memory store reaches', m), 'x'),
      });
    }
    if (scenarios.includes('replay')) {
      const ms = PAGE_P95_MS[name]!;
      const label = `replay p95 of a 1,000-event page < ${ms} ms`;
      out.push({
        ...check(name, label, adapter.replay?.page.p95Ms, ms, 'ms', false),
        ...note(floor('memory store:', memory?.replay?.page.p95Ms), ' ms'),
      });
    }
    if (name === 'sqlite' && scenarios.includes('ingest')) {
      const label = `event-loop delay p99 during ingest < ${SQLITE_INGEST_ELD_MS} ms`;
      out.push(
        check(name, label, adapter.ingest?.eventLoopDelayP99Ms, SQLITE_INGEST_ELD_MS, 'ms', false),
      );
    }
  }
  return out;
}
