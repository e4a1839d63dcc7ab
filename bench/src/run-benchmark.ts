import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADAPTERS, DEFAULT_ADAPTERS } from './adapters/index.js';
import { describeMachine } from './machine.js';
import { processPeakRssMb, withEventLoopDelay } from './measure.js';
import { resolvePostgres } from './postgres-server.js';
import type { AdapterResult, BenchResult, Kind, RunResult, Scenario } from './results.js';
import { runTarget } from './run-target.js';
import { selectScenarios } from './select-scenarios.js';
import { QUICK, type Sizes, TINY } from './sizes.js';
import { checkTargets } from './targets.js';
import { buildWorkloadSet } from './workload-set.js';

export interface Progress {
  adapter: string;
  kind: Kind;
  step: string;
  /** Runs finished so far, and in all. */
  done: number;
  total: number;
}

export interface BenchOptions {
  adapters?: readonly string[];
  scenarios?: readonly Scenario[];
  sizes?: Sizes;
  mode?: BenchResult['mode'];
  seed?: number;
  /** PostgreSQL to use; else `HISTORY_PG_URL`; else an embedded server is started and stopped. */
  pgUrl?: string;
  command?: string;
  onProgress?(progress: Progress): void;
}

/** Runs every selected adapter with its baseline and ceiling, one after another, and returns the figures. */
export async function runBenchmark(options: BenchOptions = {}): Promise<BenchResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const adapters = [...(options.adapters ?? DEFAULT_ADAPTERS)];
  for (const name of adapters) {
    if (!ADAPTERS[name]) {
      throw new Error(`unknown adapter ${name}; known: ${Object.keys(ADAPTERS).join(', ')}`);
    }
  }
  const sizes = options.sizes ?? QUICK;
  const scenarios = selectScenarios(options.scenarios, sizes);
  const seed = options.seed ?? 42;
  const progress = options.onProgress ?? (() => {});

  progress({ adapter: '-', kind: 'adapter', step: 'generating the workload', done: 0, total: 1 });
  const work = buildWorkloadSet(seed, sizes, { replay: scenarios.includes('replay') });

  // What the machine alone does to the event loop: the floor under every delay figure.
  const idle = await withEventLoopDelay(() => sleep(sizes === TINY ? 100 : 1000));

  const server = await resolvePostgres(options.pgUrl, adapters.includes('postgres'), () =>
    progress({
      adapter: 'postgres',
      kind: 'adapter',
      step: 'starting embedded PostgreSQL',
      done: 0,
      total: 1,
    }),
  );
  const pgUrl = server.url;

  const plans = adapters.flatMap((name) => {
    const runner = ADAPTERS[name]!;
    const kinds: Kind[] = ['adapter'];
    // Lifecycle and follow need no baseline: the previous stores had no such API.
    if (runner.openBaseline && scenarios.some((s) => s !== 'lifecycle' && s !== 'follow')) {
      kinds.push('baseline');
    }
    if (runner.openCeiling && scenarios.includes('ingest')) kinds.push('ceiling');
    if (
      (runner.openFloor && scenarios.includes('concurrent')) ||
      (runner.serialisationFloor && scenarios.includes('ingest'))
    ) {
      kinds.push('floor');
    }
    return kinds.map((kind) => ({ runner, kind }));
  });

  const results = new Map<string, AdapterResult>();
  try {
    let done = 0;
    for (const { runner, kind } of plans) {
      let row = results.get(runner.name);
      if (!row) {
        row = {
          adapter: runner.name,
          settings: runner.settings,
          runs: { adapter: {}, baseline: null, ceiling: null, floor: null },
        };
        results.set(runner.name, row);
      }
      const dir = await mkdtemp(join(tmpdir(), `history-bench-${runner.name}-${kind}-`));
      const schema = `bench_${kind}_${process.pid}_${Date.now().toString(36)}`;
      let run: RunResult;
      try {
        run = await runTarget({
          runner,
          kind,
          ctx: { dir, schema, ...(pgUrl ? { pgUrl } : {}) },
          work,
          sizes,
          scenarios,
          seed,
          step: (step) => progress({ adapter: runner.name, kind, step, done, total: plans.length }),
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      if (kind === 'adapter') {
        row.runs.adapter = run;
        if (run.error) row.error = run.error;
      } else {
        row.runs[kind] = run;
      }
      done++;
      progress({
        adapter: runner.name,
        kind,
        step: run.error ? 'failed' : 'done',
        done,
        total: plans.length,
      });
    }
  } finally {
    await server.stop();
  }

  const adapterResults = [...results.values()];
  return {
    version: 1,
    mode: options.mode ?? 'custom',
    seed,
    startedAt,
    seconds: Math.round(performance.now() - started) / 1000,
    command: options.command ?? '',
    machine: machine.finish(idle.eventLoopDelayP99Ms),
    postgres: server.label,
    workload: work.summary,
    sizes,
    scenarios,
    adapters: adapterResults,
    targets: checkTargets(adapterResults, scenarios, sizes),
    processPeakRssMb: processPeakRssMb(),
  };
}
