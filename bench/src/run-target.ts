import { readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Envelope } from '@history/core';
import { collectGarbage, withPeakRss } from './measure.js';
import type { Kind, RunResult, Scenario } from './results.js';
import { ROUNDS, splitRounds } from './rounds.js';
import { runFollow } from './run-follow.js';
import { runLifecycle } from './run-lifecycle.js';
import { runCheckpoint } from './scenarios/checkpoint.js';
import { runConcurrent, runFloorConcurrent } from './scenarios/concurrent.js';
import {
  ingestRounds,
  runCeilingIngest,
  runIngest,
  runSerialisationFloor,
} from './scenarios/ingest.js';
import { runReplay } from './scenarios/replay.js';
import { warmUp } from './scenarios/warm-up.js';
import { runWholeSessions } from './scenarios/whole-sessions.js';
import type { Sizes } from './sizes.js';
import type { AdapterRunner, BaselineStore, BenchContext, BenchStore } from './subject.js';
import { jsonBytes } from './workload.js';
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

/** Loads sessions (untimed): the adapter through its own API, the baseline in bulk. */
async function loadSessions(
  store: BenchStore,
  plan: TargetPlan,
  sessions: readonly (readonly Envelope[])[],
): Promise<number> {
  const started = performance.now();
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

/** Descriptors open in this process (Linux), or null where that cannot be counted. */
function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

/** The calls of `calls` whose events add up to at most `events` (at least one call). */
function firstCalls<T>(calls: readonly T[][], events: number): T[][] {
  const out: T[][] = [];
  let n = 0;
  for (const call of calls) {
    if (out.length > 0 && n + call.length > events) break;
    out.push(call);
    n += call.length;
  }
  return out;
}

/**
 * Runs the selected scenarios on `initial`; `fresh`, when given, replaces the store before
 * each ingest shape after the first (closing the one it replaces). Returns the store it ended
 * on, for the caller to close.
 */
async function runStore(
  initial: BenchStore,
  plan: TargetPlan,
  result: RunResult,
  fresh?: (previous: BenchStore) => Promise<BenchStore>,
): Promise<BenchStore> {
  const { work, sizes, scenarios, kind } = plan;
  let store = initial;
  const baseline = kind === 'baseline';
  // Each measured phase starts from a collected heap.
  const phase = (label: string) => {
    plan.step(label);
    collectGarbage();
  };
  plan.step('warm-up');
  await warmUp(
    store,
    baseline ? work.warmUp.slice(0, 40) : work.warmUp,
    baseline ? [] : work.bulkWarmUp,
  );
  if (scenarios.includes('ingest')) {
    // A baseline ingests a sample (it can be 20-60x slower), unless its runner asks for all.
    const sample = baseline && !plan.runner.fullBaselineIngest;
    phase(`ingest over ${sizes.ingestSessions} sessions`);
    result.ingest = sample
      ? await runIngest(
          store,
          ingestRounds(work.baselineIngest, sizes.batchSize),
          work.baselineIngestBytes,
        )
      : await runIngest(store, ingestRounds(work.ingest, sizes.batchSize), work.ingestBytes);

    // Sessions are created first, untimed (each one's first event): the figure is the
    // steady state of many live sessions; creating them is timed apart, for the record.
    if (fresh) store = await fresh(store);
    plan.step(`creating ${sizes.manySessions} sessions`);
    const many = sample
      ? work.manySessions.slice(0, sizes.baselineIngestEvents)
      : work.manySessions;
    const touched = new Set(many.map((e) => e.sessionId));
    const first = work.manySessionsFirst.filter((e) => touched.has(e.sessionId));
    const fdsBefore = openFds();
    const createStarted = performance.now();
    for (let i = 0; i < first.length; i += sizes.batchSize) {
      await store.appendMany(first.slice(i, i + sizes.batchSize));
    }
    const createSeconds = (performance.now() - createStarted) / 1000;
    phase(`ingest over ${sizes.manySessions} sessions`);
    let peakFds = openFds();
    const ingest = await runIngest(
      store,
      ingestRounds(many, sizes.batchSize),
      sample ? jsonBytes(many) : work.manySessionsBytes,
      () => {
        const now = openFds();
        if (now !== null && peakFds !== null) peakFds = Math.max(peakFds, now);
      },
    );
    result.manySessions = {
      ...ingest,
      sessions: touched.size,
      sessionsCreatedPerSec: Math.round(first.length / createSeconds),
      peakOpenFdsAdded: fdsBefore === null || peakFds === null ? null : peakFds - fdsBefore,
    };

    if (fresh) store = await fresh(store);
    phase(`appendMany of ${sizes.turnEvents}-event turns`);
    const turns = sample
      ? firstCalls(work.turns, Math.max(sizes.baselineIngestEvents, ROUNDS * sizes.turnEvents))
      : work.turns;
    result.turns = await runIngest(
      store,
      splitRounds(turns),
      sample ? jsonBytes(turns.flat()) : work.turnsBytes,
    );
  }
  if (scenarios.includes('concurrent')) {
    result.concurrent = [];
    const producers = baseline ? work.baselineProducers : work.producers;
    for (const count of sizes.producerCounts) {
      phase(`${count} concurrent producers`);
      result.concurrent.push(await runConcurrent(store, producers.get(count)!));
    }
  }
  if (scenarios.includes('replay')) {
    plan.step('loading whole sessions');
    const whole = work.wholeSessions();
    await loadSessions(store, plan, [...whole.values()].flat());
    phase('whole-session replay');
    result.wholeSessions = await runWholeSessions(
      store,
      whole,
      baseline ? sizes.baselineWholeSessionReads : sizes.wholeSessionReads,
    );
    plan.step('loading replay sessions');
    const loadSeconds = await loadSessions(store, plan, work.replaySessions());
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
  return store;
}

/** The floor's runs: the concurrent producers through the raw driver, or (memory) serialisation alone. */
async function runFloor(plan: TargetPlan, result: RunResult): Promise<void> {
  const { runner, work, sizes, scenarios } = plan;
  if (runner.serialisationFloor) {
    if (scenarios.includes('ingest')) {
      plan.step('serialisation');
      collectGarbage();
      result.ingest = await runSerialisationFloor(work.ingest, work.ingestBytes);
    }
    return;
  }
  const floor = await runner.openFloor!(plan.ctx);
  try {
    result.concurrent = [];
    for (const count of sizes.producerCounts) {
      plan.step(`${count} concurrent producers`);
      collectGarbage();
      result.concurrent.push(await runFloorConcurrent(floor, work.producers.get(count)!));
    }
  } finally {
    await floor.close();
  }
}

/** Runs `body` on the opened store, closing the store it ends on (`body` may replace it). */
async function withStore(
  opening: Promise<BenchStore>,
  body: (store: BenchStore) => Promise<BenchStore>,
): Promise<void> {
  let store = await opening;
  try {
    store = await body(store);
  } finally {
    await store.close();
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
      if (kind === 'floor') {
        await runFloor(plan, result);
        return;
      }
      if (kind === 'baseline' && runner.fullBaselineIngest && plan.scenarios.includes('ingest')) {
        // The whole ingest workloads go to baseline stores of their own, a fresh one per shape:
        // the scenarios after them see the same baseline table as with a sample (its reads
        // scan the whole table), and each shape starts on an empty table (the previous store
        // finds a new session's last seq by scanning the table: 5,000 new sessions on
        // 200,000 rows took minutes in --full).
        let shape = 0;
        const openIngest = async () => {
          shape++;
          const dir = join(ctx.dir, `ingest-${shape}`);
          await mkdir(dir, { recursive: true });
          return runner.openBaseline!({ ...ctx, dir, schema: `${ctx.schema}_in${shape}` });
        };
        await withStore(openIngest(), (store) =>
          runStore(store, { ...plan, scenarios: ['ingest'] }, result, async (previous) => {
            await previous.close();
            return openIngest();
          }),
        );
        const rest = plan.scenarios.filter((s) => s !== 'ingest');
        await withStore(runner.openBaseline!(ctx), (store) =>
          runStore(store, { ...plan, scenarios: rest }, result),
        );
        return;
      }
      plan.step('opening');
      await withStore(
        kind === 'adapter' ? runner.openStore(ctx) : runner.openBaseline!(ctx),
        (store) => runStore(store, plan, result),
      );
    });
    result.peakRssMb = peakRssMb;
    result.rssGrowthMb = rssGrowthMb;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  }
  result.seconds = Math.round(performance.now() - started) / 1000;
  // After the figures above are taken, on a store of its own: see run-lifecycle.ts.
  if (kind === 'adapter' && !result.error && plan.scenarios.includes('lifecycle')) {
    try {
      result.lifecycle = await runLifecycle({ runner, ctx, sizes: plan.sizes, step: plan.step });
    } catch (error) {
      result.error = `lifecycle: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  if (kind === 'adapter' && !result.error && plan.scenarios.includes('follow')) {
    try {
      result.follow = await runFollow({
        runner,
        ctx,
        sizes: plan.sizes,
        seed: plan.seed,
        step: plan.step,
      });
    } catch (error) {
      result.error = `follow: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return result;
}
