import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FollowResult } from './results.js';
import { runDelivery } from './scenarios/delivery.js';
import { runFeedCatchUp } from './scenarios/feed-catch-up.js';
import type { Sizes } from './sizes.js';
import type { AdapterRunner, BenchContext } from './subject.js';

export interface FollowPlan {
  runner: AdapterRunner;
  ctx: BenchContext;
  sizes: Sizes;
  seed: number;
  step(label: string): void;
}

/**
 * The follow scenario (adapters only: the previous stores could not follow), on a fresh
 * store of its own: delivery latency first, on an empty store, then feed catch-up.
 */
export async function runFollow(plan: FollowPlan): Promise<FollowResult> {
  const { runner, sizes, step } = plan;
  const ctx: BenchContext = {
    ...plan.ctx,
    dir: join(plan.ctx.dir, 'follow'),
    schema: `${plan.ctx.schema}_fw`,
  };
  await mkdir(ctx.dir, { recursive: true });
  const started = performance.now();
  step('follow: opening');
  const store = await runner.openStore(ctx);
  try {
    const delivery = await runDelivery(store, {
      runner,
      ctx,
      appends: sizes.deliveryAppends,
      step,
    });
    const catchUp = await runFeedCatchUp(store, {
      events: sizes.catchUpEvents,
      sessions: sizes.catchUpSessions,
      batchSize: sizes.batchSize,
      seed: plan.seed,
      step,
    });
    return { delivery, catchUp, seconds: Math.round(performance.now() - started) / 1000 };
  } finally {
    await store.close();
  }
}
