import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { withPeakRss } from './measure.js';
import type { LifecycleResult } from './results.js';
import { runListSessions } from './scenarios/list-sessions.js';
import { runPurge } from './scenarios/purge.js';
import type { Sizes } from './sizes.js';
import type { AdapterRunner, BenchContext } from './subject.js';

export interface LifecyclePlan {
  runner: AdapterRunner;
  ctx: BenchContext;
  sizes: Sizes;
  step(label: string): void;
}

/**
 * The lifecycle scenario (adapters only: the baselines, floors and ceilings have no such
 * API), on a fresh store of its own: its figures do not depend on which scenarios ran
 * before it, and a million loaded events do not move the other scenarios' RSS figures.
 */
export async function runLifecycle(plan: LifecyclePlan): Promise<LifecycleResult> {
  const { runner, sizes, step } = plan;
  const ctx: BenchContext = {
    ...plan.ctx,
    dir: join(plan.ctx.dir, 'lifecycle'),
    schema: `${plan.ctx.schema}_lc`,
  };
  await mkdir(ctx.dir, { recursive: true });
  const started = performance.now();
  const result: Omit<LifecycleResult, 'peakRssMb' | 'rssGrowthMb' | 'seconds'> = {};
  const { peakRssMb, rssGrowthMb } = await withPeakRss(async () => {
    step('lifecycle: opening');
    const store = await runner.openStore(ctx);
    try {
      if (sizes.purgeExpiredEvents > 0) {
        result.purge = await runPurge(store, {
          expiredEvents: sizes.purgeExpiredEvents,
          sessions: sizes.purgeSessions,
          liveEventsPerSession: sizes.purgeLiveEventsPerSession,
          producers: sizes.purgeProducers,
          idleAppends: sizes.purgeIdleAppends,
          idleSeconds: sizes.purgeIdleSeconds,
          batchSize: sizes.batchSize,
          step,
        });
      }
      if (sizes.listSessions > 0) {
        result.listSessions = await runListSessions(store, {
          sessions: sizes.listSessions,
          passes: sizes.listSessionPasses,
          batchSize: sizes.batchSize,
          step,
        });
      }
    } finally {
      await store.close();
    }
  });
  return {
    ...result,
    peakRssMb,
    rssGrowthMb,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}
