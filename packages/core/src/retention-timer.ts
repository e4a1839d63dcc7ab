import type { PurgeResult } from './history-store.js';
import { type PurgeMetrics, purgeChannel } from './metrics.js';

export interface RetentionTimer {
  stop(): void;
}

/**
 * Runs `purge` every `intervalMs` (skipping a tick while the previous purge still runs),
 * on an unref'd timer: it never keeps the process alive. Its outcome, failure included,
 * goes to `onMetrics` and the `history:purge` diagnostics channel; nothing is thrown.
 */
export function startRetentionTimer(
  store: string,
  intervalMs: number,
  purge: () => Promise<PurgeResult>,
  onMetrics: ((metrics: PurgeMetrics) => void) | undefined,
): RetentionTimer {
  let running = false;
  const report = (metrics: PurgeMetrics) => {
    if (purgeChannel.hasSubscribers) purgeChannel.publish(metrics);
    try {
      onMetrics?.(metrics);
    } catch {
      // A faulty metrics hook must not break purges.
    }
  };
  const tick = async () => {
    if (running) return;
    running = true;
    const started = performance.now();
    try {
      const result = await purge();
      report({
        kind: 'purge',
        store,
        ...result,
        durationMs: performance.now() - started,
        ok: true,
      });
    } catch (error) {
      report({
        kind: 'purge',
        store,
        deletedEvents: 0,
        sessions: 0,
        done: false,
        durationMs: performance.now() - started,
        ok: false,
        error,
      });
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
