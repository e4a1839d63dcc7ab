import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Latency {
  samples: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarise(samplesMs: readonly number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/**
 * A full collection when the process runs with --expose-gc (the bench script
 * sets it), so no scenario pays for the garbage the previous one left.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Times `fn`, in milliseconds. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

const RESOLUTION_MS = 10;

/**
 * Main-thread event-loop delay while `fn` runs: how long a timer or an
 * incoming request would wait behind the store's work. p99 in milliseconds.
 */
export async function withEventLoopDelay<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; eventLoopDelayP99Ms: number; gcMaxPauseMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  // GC pauses stop the main thread too: recorded beside the delay to tell the two causes apart.
  let gcMaxPauseMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMaxPauseMs = Math.max(gcMaxPauseMs, entry.duration);
  });
  gc.observe({ entryTypes: ['gc'] });
  histogram.enable();
  try {
    // The first timer tick only sets the histogram's reference point: let it pass before the work.
    await sleep(RESOLUTION_MS * 1.5);
    const value = await fn();
    // A run that never yields to the timer phase (synchronous work chained by
    // microtasks) only shows up in the sample taken after it: wait for that one.
    await sleep(RESOLUTION_MS * 2);
    histogram.disable();
    // Nanoseconds; each sample is the whole timer interval, so the resolution itself is taken off.
    const p99 =
      histogram.count > 0 ? Math.max(0, histogram.percentile(99) / 1e6 - RESOLUTION_MS) : 0;
    // Entries are delivered asynchronously; the sleeps above let them arrive.
    return {
      value,
      eventLoopDelayP99Ms: Math.round(p99 * 100) / 100,
      gcMaxPauseMs: Math.round(gcMaxPauseMs * 100) / 100,
    };
  } finally {
    histogram.disable();
    gc.disconnect();
  }
}

/**
 * Samples resident set size while `fn` runs and reports the peak, in MiB.
 * The process-wide `maxRSS` cannot be reset between runs, so sampling gives a
 * per-run figure (worker threads included; a database server process is not).
 * The peak includes the workload held in memory; the growth above the RSS at
 * the start isolates what the run itself added.
 */
export async function withPeakRss<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; peakRssMb: number; rssGrowthMb: number }> {
  collectGarbage();
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 25);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return {
      value,
      peakRssMb: Math.round(peak / 1048576),
      rssGrowthMb: Math.round((peak - start) / 1048576),
    };
  } finally {
    clearInterval(timer);
  }
}

/** The process's lifetime peak RSS in MiB (`process.resourceUsage().maxRSS` is in KiB). */
export function processPeakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
