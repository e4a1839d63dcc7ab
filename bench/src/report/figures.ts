import type { Latency } from '../measure.js';
import type { RunResult } from '../results.js';
import { SESSION_PAGE } from '../scenarios/list-sessions.js';
import type { Sizes } from '../sizes.js';

type Run = RunResult | null | undefined;

/** One figure of a run, as the table and the chart show it. */
export interface Figure {
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  get(run: Run): number | undefined;
  /** Compared with the raw ceiling (bulk ingest of pre-serialised rows). */
  hasCeiling?: boolean;
  /** Compared with the floor (the raw driver serving the same producers; memory: serialisation). */
  hasFloor?: boolean;
  /** Drawn in the SVG chart. */
  chart?: boolean;
  /** Held to the review's rule: at least 1.3x the baseline. */
  rule?: boolean;
}

/** p50, p95 and p99 rows of one latency measurement; p95 is charted and held to the rule. */
function latencies(label: string, of: (run: Run) => Latency | undefined): Figure[] {
  return (['p50', 'p95', 'p99'] as const).map((p) => ({
    label: `${label} ${p}`,
    unit: 'ms',
    better: 'lower' as const,
    get: (r: Run) => of(r)?.[`${p}Ms`],
    ...(p === 'p95' ? { chart: true, rule: true } : {}),
  }));
}

const n = (v: number) => v.toLocaleString('en-US');
const concurrentOf = (r: Run, producers: number) =>
  r?.concurrent?.find((c) => c.producers === producers);
const wholeOf = (r: Run, events: number) => r?.wholeSessions?.find((w) => w.events === events);
const maxOf = (values: Array<number | undefined>) => {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
};

/** Longest event-loop delay p99 of any measured phase of a run. */
export function worstEventLoopDelay(r: Run): number | undefined {
  return maxOf([
    r?.ingest?.eventLoopDelayP99Ms,
    r?.manySessions?.eventLoopDelayP99Ms,
    r?.turns?.eventLoopDelayP99Ms,
    ...(r?.concurrent ?? []).map((c) => c.eventLoopDelayP99Ms),
    ...(r?.wholeSessions ?? []).map((w) => w.eventLoopDelayP99Ms),
    r?.replay?.eventLoopDelayP99Ms,
  ]);
}

/** Event-loop delay p99 of each phase, to tell which one a bad worst phase comes from. */
function eventLoopDelays(sizes: Sizes): Figure[] {
  const phase = (label: string, get: (r: Run) => number | undefined): Figure => ({
    label: `  ${label}`,
    unit: 'ms',
    better: 'lower',
    get,
  });
  return [
    phase('ingest', (r) => r?.ingest?.eventLoopDelayP99Ms),
    phase(`over ${n(sizes.manySessions)} sessions`, (r) => r?.manySessions?.eventLoopDelayP99Ms),
    phase('turns', (r) => r?.turns?.eventLoopDelayP99Ms),
    ...sizes.producerCounts.map((p) =>
      phase(`${p} producers`, (r) => concurrentOf(r, p)?.eventLoopDelayP99Ms),
    ),
    ...sizes.wholeSessionSizes.map((events) =>
      phase(`whole ${n(events)}-event sessions`, (r) => wholeOf(r, events)?.eventLoopDelayP99Ms),
    ),
    phase('replay pages and long session', (r) => r?.replay?.eventLoopDelayP99Ms),
  ];
}

/** The lifecycle scenario's figures (adapters only: nothing to compare with). */
function lifecycleFigures(sizes: Sizes): Figure[] {
  const row = (
    label: string,
    unit: string,
    better: Figure['better'],
    get: (r: Run) => number | undefined,
  ): Figure => ({ label, unit, better, get });
  const purge = (r: Run) => r?.lifecycle?.purge;
  const list = (r: Run) => r?.lifecycle?.listSessions;
  return [
    row(
      `purgeExpired() of ${n(sizes.purgeExpiredEvents)} expired events`,
      's',
      'lower',
      (r) => purge(r)?.purgeSeconds,
    ),
    row('  the same', 'ev/s', 'higher', (r) => purge(r)?.purgedPerSec),
    row(
      `  ${sizes.purgeProducers} producers' append latency p50, idle`,
      'ms',
      'lower',
      (r) => purge(r)?.idleAppendLatency.p50Ms,
    ),
    row('  append latency p99, idle', 'ms', 'lower', (r) => purge(r)?.idleAppendLatency.p99Ms),
    row(
      '  append latency p50 during the purge',
      'ms',
      'lower',
      (r) => purge(r)?.purgeAppendLatency.p50Ms,
    ),
    row(
      '  append latency p99 during the purge',
      'ms',
      'lower',
      (r) => purge(r)?.purgeAppendLatency.p99Ms,
    ),
    row('  p99 during the purge / idle p99', 'x', 'lower', (r) => purge(r)?.p99OverIdle),
    row(
      '  event-loop delay p99 during the purge',
      'ms',
      'lower',
      (r) => purge(r)?.eventLoopDelayP99Ms,
    ),
    ...latencies(
      `listSessions over ${n(sizes.listSessions)} sessions, per ${n(SESSION_PAGE)}-session page`,
      (r) => list(r)?.page,
    ).map((f) => ({ ...f, chart: false, rule: false })),
    row('  a whole pass (the slowest)', 's', 'lower', (r) => maxOf(list(r)?.passSeconds ?? [])),
    row(
      '  passes stopped at 60 s',
      'passes',
      'lower',
      (r) => list(r)?.incompletePasses || undefined,
    ),
    row('lifecycle RSS growth (its own store)', 'MB', 'lower', (r) => r?.lifecycle?.rssGrowthMb),
  ];
}

/** The follow scenario's figures (adapters only: the previous stores could not follow). */
function followFigures(sizes: Sizes): Figure[] {
  const row = (label: string, unit: string, get: (r: Run) => number | undefined): Figure => ({
    label,
    unit,
    better: unit === 'ev/s' || unit === 'ratio' ? 'higher' : 'lower',
    get,
  });
  const delivery = (r: Run) => r?.follow?.delivery;
  const catchUp = (r: Run) => r?.follow?.catchUp;
  const pair = (label: string, of: (r: Run) => Latency | null | undefined) => [
    row(`append-to-delivery, ${label}, p50`, 'ms', (r) => of(r)?.p50Ms),
    row('  p99', 'ms', (r) => of(r)?.p99Ms),
  ];
  return [
    ...pair('session follower, same process', (r) => delivery(r)?.sameProcessStream),
    ...pair('feed follower, same process', (r) => delivery(r)?.sameProcessFeed),
    ...pair('feed follower, another process', (r) => delivery(r)?.crossProcessFeed),
    row(
      `feed catch-up over ${n(sizes.catchUpEvents)} events`,
      'ev/s',
      (r) => catchUp(r)?.feedEventsPerSec,
    ),
    row('  whole-session replay of the same events', 'ev/s', (r) => catchUp(r)?.replayEventsPerSec),
    row('  feed / replay', 'ratio', (r) => catchUp(r)?.feedOverReplay),
  ];
}

/** Every figure of a run with these sizes, in report order. */
export function figures(sizes: Sizes): Figure[] {
  const out: Figure[] = [
    {
      label: `bulk ingest, appendMany of ${n(sizes.batchSize)} over ${n(sizes.ingestSessions)} sessions`,
      unit: 'ev/s',
      better: 'higher',
      get: (r) => r?.ingest?.eventsPerSec,
      hasCeiling: true,
      hasFloor: true,
      chart: true,
      rule: true,
    },
    {
      label: '  the same',
      unit: 'MB/s',
      better: 'higher',
      get: (r) => r?.ingest?.mbPerSec,
      hasCeiling: true,
    },
    {
      label: `bulk ingest over ${n(sizes.manySessions)} live sessions`,
      unit: 'ev/s',
      better: 'higher',
      get: (r) => r?.manySessions?.eventsPerSec,
      chart: true,
      rule: true,
    },
    {
      label: '  sessions created beforehand (untimed)',
      unit: '/s',
      better: 'higher',
      get: (r) => r?.manySessions?.sessionsCreatedPerSec,
    },
    {
      label: '  descriptors opened (peak)',
      unit: 'fds',
      better: 'lower',
      get: (r) => r?.manySessions?.peakOpenFdsAdded ?? undefined,
    },
    {
      label: `appendMany of one session's ${n(sizes.turnEvents)}-event turn`,
      unit: 'ev/s',
      better: 'higher',
      get: (r) => r?.turns?.eventsPerSec,
      chart: true,
      rule: true,
    },
  ];
  for (const p of sizes.producerCounts) {
    out.push(
      {
        label: `${p} producers awaiting single appends`,
        unit: 'ev/s',
        better: 'higher',
        get: (r) => concurrentOf(r, p)?.eventsPerSec,
        hasFloor: true,
        chart: true,
        rule: true,
      },
      {
        label: '  append latency p50',
        unit: 'ms',
        better: 'lower',
        get: (r) => concurrentOf(r, p)?.appendLatency?.p50Ms,
      },
      {
        label: '  append latency p99',
        unit: 'ms',
        better: 'lower',
        get: (r) => concurrentOf(r, p)?.appendLatency?.p99Ms,
      },
    );
  }
  for (const events of sizes.wholeSessionSizes) {
    out.push(
      ...latencies(`replay whole ${n(events)}-event session`, (r) => wholeOf(r, events)?.latency),
    );
  }
  out.push(
    ...latencies(`replay ${n(sizes.pageSize)}-event page`, (r) => r?.replay?.page),
    ...latencies('replay page after deep cursor', (r) => r?.replay?.afterDeep),
    ...latencies(`replay ${n(sizes.fullStreamEvents)}-event session`, (r) => r?.replay?.fullStream),
    {
      label: 'getCheckpoint p95',
      unit: 'ms',
      better: 'lower',
      get: (r) => r?.checkpoint?.getCheckpoint.p95Ms,
      chart: true,
      rule: true,
    },
    ...lifecycleFigures(sizes),
    ...followFigures(sizes),
    {
      label: 'event-loop delay p99, worst phase',
      unit: 'ms',
      better: 'lower',
      get: worstEventLoopDelay,
    },
    ...eventLoopDelays(sizes),
    {
      label: 'longest GC pause, ingest',
      unit: 'ms',
      better: 'lower',
      get: (r) => r?.ingest?.gcMaxPauseMs,
    },
    {
      label: 'longest GC pause, concurrent',
      unit: 'ms',
      better: 'lower',
      get: (r) => maxOf((r?.concurrent ?? []).map((c) => c.gcMaxPauseMs)),
    },
    {
      label: 'longest GC pause, replay',
      unit: 'ms',
      better: 'lower',
      get: (r) =>
        maxOf([r?.replay?.gcMaxPauseMs, ...(r?.wholeSessions ?? []).map((w) => w.gcMaxPauseMs)]),
    },
    {
      label: 'peak RSS (process)',
      unit: 'MB',
      better: 'lower',
      get: (r) => r?.peakRssMb,
    },
    {
      label: 'RSS growth during run',
      unit: 'MB',
      better: 'lower',
      get: (r) => r?.rssGrowthMb,
    },
  );
  return out;
}

/**
 * How many times better `value` is than `reference` (> 1 is better), or
 * undefined when either is missing or zero.
 */
export function improvement(
  figure: Pick<Figure, 'better'>,
  value: number | undefined,
  reference: number | undefined,
) {
  if (value === undefined || reference === undefined || value <= 0 || reference <= 0)
    return undefined;
  return figure.better === 'higher' ? value / reference : reference / value;
}
