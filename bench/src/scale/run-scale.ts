import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { postgresRunner } from '../adapters/postgres.js';
import { describeMachine } from '../machine.js';
import { processPeakRssMb, withEventLoopDelay } from '../measure.js';
import { resolvePostgres } from '../postgres-server.js';
import { median, ROUNDS } from '../rounds.js';
import type { Progress } from '../run-benchmark.js';
import { describeWorkload } from '../workload.js';
import { compactCount } from './compact-count.js';
import { loadSessions } from './load-sessions.js';
import { measureCheckpoint } from './measure-checkpoint.js';
import { ScaleEvents } from './scale-events.js';
import type { ScaleCheckpoint, ScaleLayoutResult, ScaleResult } from './scale-result.js';
import type { ScaleLayout, ScaleSizes } from './scale-sizes.js';
import { scaleTargets } from './scale-targets.js';

export interface ScaleOptions {
  sizes: ScaleSizes;
  seed?: number;
  /** PostgreSQL to use; else `HISTORY_PG_URL`; else an embedded server is started and stopped. */
  pgUrl?: string;
  command?: string;
  onProgress?(progress: Progress): void;
}

interface LayoutPlan {
  layout: ScaleLayout;
  url: string;
  sizes: ScaleSizes;
  events: ScaleEvents;
  seed: number;
  step(label: string): void;
}

/** One layout: a fresh schema loaded to each checkpoint in turn and measured there; dropped at the end. */
async function runLayout(plan: LayoutPlan): Promise<ScaleLayoutResult> {
  const { layout, sizes, events, step } = plan;
  const started = performance.now();
  const partitions = layout === 'partitioned' ? sizes.partitions : 0;
  const schema = `bench_scale_${layout}_${process.pid}_${Date.now().toString(36)}`;
  const perSession = sizes.events / sizes.sessions;
  const checkpoints: ScaleCheckpoint[] = [];
  const result: ScaleLayoutResult = { layout, partitions, checkpoints, seconds: 0 };
  step(`${layout}: opening`);
  const store = await postgresRunner.openStore({
    dir: tmpdir(),
    pgUrl: plan.url,
    schema,
    ...(partitions > 0 ? { partitions } : {}),
  });
  const client = new pg.Client({ connectionString: plan.url });
  try {
    await client.connect();
    const extra = new Uint32Array(sizes.sessions);
    let loaded = 0;
    for (const target of [sizes.midpoint, sizes.events]) {
      const to = target / perSession;
      const label = compactCount(target);
      const loadStarted = performance.now();
      const waves = await loadSessions(store, events, sizes, { from: loaded, to }, (wave, done) => {
        const rate = Math.round((wave.events / wave.ms) * 1000).toLocaleString('en-US');
        step(
          `${layout}: loaded ${(done * perSession).toLocaleString('en-US')} of ${target.toLocaleString('en-US')} events (${rate} ev/s)`,
        );
      });
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      loaded = to;
      // The bulk rate at this size: the last waves, as many as the other figures' rounds.
      const last = waves.slice(-ROUNDS);
      const rates = last.map((w) => Math.round((w.events / w.ms) * 1000));
      const measured = await measureCheckpoint({
        store,
        client,
        schema,
        events,
        sizes,
        seed: plan.seed,
        label,
        loadedSessions: loaded,
        extra,
        step: (s) => step(`${layout} at ${label}: ${s}`),
      });
      const loadEvents = waves.reduce((sum, w) => sum + w.events, 0);
      checkpoints.push({
        events: target,
        sessions: loaded,
        load: {
          events: loadEvents,
          seconds: Math.round(loadSeconds * 1000) / 1000,
          eventsPerSec: Math.round(loadEvents / loadSeconds),
          lastWaves: {
            eventsPerWave: last.at(-1)!.events,
            roundEventsPerSec: rates,
            eventsPerSec: Math.round(median(rates)),
          },
        },
        ...measured,
      });
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
    step(`${layout}: dropping the schema`);
    await store.close();
  }
  result.seconds = Math.round(performance.now() - started) / 1000;
  return result;
}

async function describeServer(url: string): Promise<ScaleResult['server']> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const show = async (name: string) =>
      (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
    return {
      version: await show('server_version'),
      sharedBuffers: await show('shared_buffers'),
      effectiveCacheSize: await show('effective_cache_size'),
    };
  } finally {
    await client.end();
  }
}

/**
 * `pnpm bench --scale`: PostgreSQL plain and hash-partitioned, each loaded to `midpoint`
 * and then to `events`, with the same probes at both checkpoints; the targets compare them.
 */
export async function runScale(options: ScaleOptions): Promise<ScaleResult> {
  const { sizes } = options;
  const seed = options.seed ?? 42;
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  const progress = options.onProgress ?? (() => {});
  const step = (label: string, done = 0) =>
    progress({
      adapter: 'postgres',
      kind: 'adapter',
      step: label,
      done,
      total: sizes.layouts.length,
    });

  const idle = await withEventLoopDelay(() => sleep(1000));
  const server = await resolvePostgres(options.pgUrl, true, () =>
    step('starting embedded PostgreSQL'),
  );
  const events = new ScaleEvents(seed, sizes.events / sizes.sessions);
  const layouts: ScaleLayoutResult[] = [];
  let described: ScaleResult['server'] = null;
  try {
    if (!server.url) throw new Error(server.label ?? 'no PostgreSQL');
    described = await describeServer(server.url);
    for (const layout of sizes.layouts) {
      const layoutStarted = performance.now();
      try {
        layouts.push(
          await runLayout({
            layout,
            url: server.url,
            sizes,
            events,
            seed,
            step: (s) => step(s, layouts.length),
          }),
        );
      } catch (error) {
        // It could not be opened (or dropped): reported as its row's error, the next one still runs.
        layouts.push({
          layout,
          partitions: layout === 'partitioned' ? sizes.partitions : 0,
          error: error instanceof Error ? error.message : String(error),
          checkpoints: [],
          seconds: Math.round(performance.now() - layoutStarted) / 1000,
        });
      }
    }
  } finally {
    await server.stop();
  }
  const { meanBytes, p99Bytes, maxBytes, largeShare } = describeWorkload(events.templates());
  return {
    version: 1,
    kind: 'scale',
    seed,
    startedAt,
    seconds: Math.round(performance.now() - started) / 1000,
    command: options.command ?? '',
    machine: machine.finish(idle.eventLoopDelayP99Ms),
    postgres: server.label,
    server: described,
    sizes,
    workload: { meanBytes, p99Bytes, maxBytes, largeShare },
    layouts,
    targets: scaleTargets(layouts),
    processPeakRssMb: processPeakRssMb(),
  };
}
