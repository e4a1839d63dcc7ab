import { collectGarbage, withPeakRss } from './measure.js';
import type { Kind, RunResult, Scenario } from './results.js';
import { runCheckpoint } from './scenarios/checkpoint.js';
import { runConcurrent } from './scenarios/concurrent.js';
import { runCeilingIngest, runIngest } from './scenarios/ingest.js';
import { runReplay } from './scenarios/replay.js';
import { warmUp } from './scenarios/warm-up.js';
import type { Sizes } from './sizes.js';
import type { AdapterRunner, BaselineStore, BenchContext, BenchStore } from './subject.js';
import type { WorkloadSet } from './workload-set.js';

export interface TargetPlan {
  runner: AdapterRunner;
  kind: Kind;
  ctx: BenchContext;
  work: WorkloadSet;
  sizes: Sizes;
  scenarios: readonly Scenario[];
  seed: number;
  step(label: string): void;
}

/** Loads the replay sessions (untimed): the adapter through its own API, the baseline in bulk. */
async function loadReplaySessions(store: BenchStore, plan: TargetPlan): Promise<number> {
  const started = performance.now();
  const sessions = plan.work.replaySessions();
  if (plan.kind === 'baseline') {
    for (const session of sessions) await (store as BaselineStore).bulkLoad(session);
  } else {
    for (const session of sessions) {
      for (let i = 0; i < session.length; i += plan.sizes.batchSize) {
        await store.appendMany(session.slice(i, i + plan.sizes.batchSize));
      }
    }
  }
  return Math.round(performance.now() - started) / 1000;
}

async function runStore(store: BenchStore, plan: TargetPlan, result: RunResult): Promise<void> {
  const { work, sizes, scenarios, kind } = plan;
  const baseline = kind === 'baseline';
  // Each measured phase starts from a collected heap.
  const phase = (label: string) => {
    plan.step(label);
    collectGarbage();
  };
  plan.step('warm-up');
  await warmUp(store, baseline ? work.warmUp.slice(0, 40) : work.warmUp);
  if (scenarios.includes('ingest')) {
    phase('ingest');
    result.ingest = baseline
      ? await runIngest(store, work.baselineIngest, sizes.batchSize, work.baselineIngestBytes)
      : await runIngest(store, work.ingest, sizes.batchSize, work.ingestBytes);
  }
  if (scenarios.includes('concurrent')) {
    phase('concurrent appends');
    result.concurrent = await runConcurrent(
      store,
      baseline ? work.baselineProducers : work.producers,
    );
  }
  if (scenarios.includes('replay')) {
    plan.step('loading replay sessions');
    const loadSeconds = await loadReplaySessions(store, plan);
    phase('replay');
    result.replay = await runReplay(store, {
      deepSession: 'deep',
      deepEvents: sizes.deepEvents,
      fullSession: work.fullSession,
      fullStreamEvents: sizes.fullStreamEvents,
      pageSize: sizes.pageSize,
      pageIterations: baseline ? sizes.baselinePageIterations : sizes.pageIterations,
      fullStreamIterations: baseline
        ? sizes.baselineFullStreamIterations
        : sizes.fullStreamIterations,
      seed: plan.seed,
      loadSeconds,
    });
  }
  if (scenarios.includes('checkpoint')) {
    phase('checkpoints');
    result.checkpoint = await runCheckpoint(
      store,
      sizes.checkpointSessions,
      sizes.checkpointReads,
      plan.seed,
    );
  }
}

/** Runs one store, baseline or ceiling through the selected scenarios; a failure becomes `error`. */
export async function runTarget(plan: TargetPlan): Promise<RunResult> {
  const { runner, kind, ctx } = plan;
  const result: RunResult = {};
  const started = performance.now();
  try {
    const { peakRssMb, rssGrowthMb } = await withPeakRss(async () => {
      if (kind === 'ceiling') {
        plan.step('ingest');
        const ceiling = await runner.openCeiling!(ctx);
        try {
          result.ingest = await runCeilingIngest(
            ceiling,
            plan.work.ceilingRows,
            plan.sizes.batchSize,
            plan.work.ingestBytes,
          );
        } finally {
          await ceiling.close();
        }
        return;
      }
      plan.step('opening');
      const store =
        kind === 'adapter' ? await runner.openStore(ctx) : await runner.openBaseline!(ctx);
      try {
        await runStore(store, plan, result);
      } finally {
        await store.close();
      }
    });
    result.peakRssMb = peakRssMb;
    result.rssGrowthMb = rssGrowthMb;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  result.seconds = Math.round(performance.now() - started) / 1000;
  return result;
}
