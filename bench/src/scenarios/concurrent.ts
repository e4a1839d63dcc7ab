import type { Envelope } from '@history/core';
import { summarise, withEventLoopDelay } from '../measure.js';
import type { ConcurrentResult } from '../results.js';
import type { BenchStore } from '../subject.js';

/**
 * Scenario 2, the agent hot path: each producer (its own session) awaits
 * one `append` after another; all producers run at once.
 */
export async function runConcurrent(
  store: BenchStore,
  producers: readonly (readonly Envelope[])[],
): Promise<ConcurrentResult> {
  const latencies: number[] = [];
  const { value: ms, eventLoopDelayP99Ms } = await withEventLoopDelay(async () => {
    const started = performance.now();
    await Promise.all(
      producers.map(async (events) => {
        for (const envelope of events) {
          const t = performance.now();
          await store.append(envelope);
          latencies.push(performance.now() - t);
        }
      }),
    );
    return performance.now() - started;
  });
  const events = latencies.length;
  return {
    producers: producers.length,
    events,
    seconds: Math.round(ms) / 1000,
    eventsPerSec: Math.round(events / (ms / 1000)),
    appendLatency: summarise(latencies),
    eventLoopDelayP99Ms,
  };
}
