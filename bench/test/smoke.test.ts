import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { renderSvg } from '../src/report/svg.js';
import { renderTable } from '../src/report/table.js';
import type { BenchResult, RunResult } from '../src/results.js';
import { ROUNDS } from '../src/rounds.js';
import { runBenchmark } from '../src/run-benchmark.js';
import { TINY } from '../src/sizes.js';
import { sessionEvents } from '../src/workload.js';

const ADAPTERS = ['memory', 'file', 'sqlite', 'postgres'];
const positive = (v: number | undefined) => expect(v).toBeGreaterThan(0);

function expectStoreRun(run: RunResult | null) {
  expect(run?.error).toBeUndefined();
  for (const ingest of [run?.ingest, run?.manySessions, run?.turns]) {
    positive(ingest?.eventsPerSec);
    expect(ingest?.roundEventsPerSec).toHaveLength(ROUNDS);
    expect(ingest?.eventLoopDelayP99Ms).toBeGreaterThanOrEqual(0);
  }
  expect(run?.manySessions?.sessions).toBeGreaterThan(TINY.ingestSessions);
  expect(run?.concurrent?.map((c) => c.producers)).toEqual(TINY.producerCounts);
  for (const c of run?.concurrent ?? []) {
    positive(c.eventsPerSec);
    expect(c.roundEventsPerSec).toHaveLength(ROUNDS);
    expect(c.appendLatency?.samples).toBe(c.events);
  }
  expect(run?.wholeSessions?.map((w) => w.events)).toEqual(TINY.wholeSessionSizes);
  for (const w of run?.wholeSessions ?? []) {
    expect(w.latency.samples).toBe(TINY.wholeSessionReads);
    positive(w.latency.p95Ms);
  }
  for (const l of [run?.replay?.page, run?.replay?.afterDeep, run?.replay?.fullStream]) {
    expect(l?.samples).toBeGreaterThan(0);
    positive(l?.p95Ms);
  }
  expect(run?.checkpoint?.getCheckpoint.samples).toBe(TINY.checkpointReads);
  positive(run?.peakRssMb);
}

/** The lifecycle scenario ran on the adapter (its own checks throw on any lost or leftover event). */
function expectLifecycle(run: RunResult) {
  const purge = run.lifecycle?.purge;
  expect(purge?.expiredEvents).toBe(TINY.purgeExpiredEvents);
  expect(purge?.sessions).toBe(TINY.purgeSessions);
  expect(purge?.liveEvents).toBe(TINY.purgeSessions * TINY.purgeLiveEventsPerSession);
  expect(purge?.idleAppendLatency.samples).toBe(TINY.purgeProducers * TINY.purgeIdleAppends);
  // Every producer appends at least once while the purge runs.
  expect(purge?.purgeAppendLatency.samples).toBeGreaterThanOrEqual(TINY.purgeProducers);
  positive(purge?.purgedPerSec);
  const list = run.lifecycle?.listSessions;
  expect(list?.sessions).toBe(TINY.listSessions);
  expect(list?.passSeconds).toHaveLength(TINY.listSessionPasses);
  expect(list?.page.samples).toBe(
    Math.floor(TINY.listSessions / list!.pageSize) * TINY.listSessionPasses,
  );
  positive(run.lifecycle?.peakRssMb);
}

/** The follow scenario ran on the adapter (its own checks throw on a lost or extra event). */
function expectFollow(run: RunResult, sharedStorage: boolean) {
  const delivery = run.follow?.delivery;
  expect(delivery?.sameProcessStream.samples).toBe(TINY.deliveryAppends);
  expect(delivery?.sameProcessFeed.samples).toBe(TINY.deliveryAppends);
  if (sharedStorage) expect(delivery?.crossProcessFeed?.samples).toBe(TINY.deliveryAppends);
  else expect(delivery?.crossProcessFeed).toBeNull();
  const catchUp = run.follow?.catchUp;
  expect(catchUp?.events).toBe(TINY.catchUpEvents);
  expect(catchUp?.sessions).toBe(TINY.catchUpSessions);
  positive(catchUp?.feedEventsPerSec);
  positive(catchUp?.replayEventsPerSec);
}

function expectFloorRun(run: RunResult | null) {
  expect(run?.error).toBeUndefined();
  expect(run?.concurrent?.map((c) => c.producers)).toEqual(TINY.producerCounts);
  for (const c of run?.concurrent ?? []) {
    positive(c.eventsPerSec);
    // The floor serves exactly the adapter's events: every producer's appends, in lock-step rounds.
    expect(c.events).toBe(c.producers * TINY.appendsPerProducer[c.producers]!);
  }
}

describe('benchmark smoke run (tiny sizes, no timing thresholds)', () => {
  let result: BenchResult;
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('runs every adapter with its baseline and ceiling', async () => {
    result = await runBenchmark({ adapters: ADAPTERS, sizes: TINY, seed: 7 });
    expect(result.adapters.map((a) => a.adapter)).toEqual(ADAPTERS);
    expect(result.workload.events).toBe(
      TINY.ingestEvents + TINY.deepEvents + TINY.fullStreamEvents,
    );
    for (const a of result.adapters) {
      expect(a.error).toBeUndefined();
      expectStoreRun(a.runs.adapter);
      expectLifecycle(a.runs.adapter);
      expectFollow(a.runs.adapter, a.adapter !== 'memory');
      if (a.adapter === 'memory') {
        expect(a.runs.baseline).toBeNull();
        expect(a.runs.ceiling).toBeNull();
        // The memory store's floor is JSON.stringify of the ingest events alone.
        expect(a.runs.floor?.ingest?.events).toBe(TINY.ingestEvents);
        positive(a.runs.floor?.ingest?.eventsPerSec);
        continue;
      }
      expectStoreRun(a.runs.baseline);
      expect(a.runs.baseline?.lifecycle).toBeUndefined();
      // SQLite's baseline ingests the adapter's whole workload; the others a sample.
      expect(a.runs.baseline?.ingest?.events).toBe(
        a.adapter === 'sqlite' ? TINY.ingestEvents : TINY.baselineIngestEvents,
      );
      expect(a.runs.baseline?.manySessions?.events).toBe(
        a.adapter === 'sqlite' ? a.runs.adapter?.manySessions?.events : TINY.baselineIngestEvents,
      );
      expectFloorRun(a.runs.floor);
      expect(a.runs.ceiling?.error).toBeUndefined();
      positive(a.runs.ceiling?.ingest?.eventsPerSec);
      expect(a.runs.ceiling?.ingest?.events).toBe(TINY.ingestEvents * ROUNDS);
    }
    // Per storage adapter: the 1.3x rule on 11 figures, 3 producer targets, 2 whole-session
    // spread targets, 2 lifecycle targets, event-loop delay, and 4 follow targets (two
    // in-process deliveries, one in another process, catch-up); file adds 2 many-session
    // targets; memory has 1.
    expect(result.scenarios).toEqual(expect.arrayContaining(['lifecycle', 'follow']));
    expect(result.targets).toHaveLength(3 * 23 + 2 + 1);
    for (const t of result.targets) expect(t.value).not.toBeNull();
    for (const name of ['file', 'sqlite', 'postgres']) {
      expect(
        result.targets.filter((t) => t.adapter === name && /1\.3x baseline/.test(t.target)),
      ).toHaveLength(11);
    }
  }, 180_000); // Lifecycle and follow add seconds per adapter; the shared 2-core machine can double it.

  it('renders the table and a self-contained SVG', () => {
    const table = renderTable(result);
    for (const name of ADAPTERS) expect(table).toContain(`\n${name}`);
    expect(table).toContain('targets');
    expect(table).toMatch(/(PASS|MISS) {2}sqlite/);
    const svg = renderSvg(result);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/href=|<script/);
    expect(svg.match(/<rect /g)!.length).toBeGreaterThan(20);
  });

  it('the CLI writes the JSON and SVG files', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bench-smoke-'));
    dirs.push(out);
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
    const { stdout } = await promisify(execFile)(
      tsx,
      [
        cli,
        '--',
        '--tiny',
        '--adapters=memory,file',
        '--scenarios=ingest,checkpoint',
        `--out=${out}`,
      ],
      { timeout: 50_000 },
    );
    expect(stdout).toContain('bulk ingest, appendMany of');
    const latest = JSON.parse(await readFile(join(out, 'latest.json'), 'utf8')) as BenchResult;
    expect(latest.scenarios).toEqual(['ingest', 'checkpoint']);
    expect(latest.adapters.map((a) => a.adapter)).toEqual(['memory', 'file']);
    expect(latest.adapters[1]!.runs.adapter.replay).toBeUndefined();
    positive(latest.adapters[1]!.runs.ceiling?.ingest?.eventsPerSec);
    // No concurrent scenario, so no driver floor; memory's serialisation floor still runs.
    expect(latest.adapters[1]!.runs.floor).toBeNull();
    positive(latest.adapters[0]!.runs.floor?.ingest?.eventsPerSec);
    expect(await readFile(join(out, 'latest.svg'), 'utf8')).toContain('</svg>');
  }, 60_000);

  it('the workload is deterministic and has a long tail', () => {
    const a = sessionEvents(1, 's', 2000);
    expect(JSON.stringify(sessionEvents(1, 's', 2000))).toBe(JSON.stringify(a));
    expect(JSON.stringify(sessionEvents(2, 's', 2000))).not.toBe(JSON.stringify(a));
    const sizes = a.map((e) => JSON.stringify(e).length);
    const mean = sizes.reduce((x, y) => x + y, 0) / sizes.length;
    expect(mean).toBeGreaterThan(400);
    expect(mean).toBeLessThan(900);
    expect(sizes.some((s) => s >= 20_000 && s <= 51_000)).toBe(true);
    expect(new Set(a.map((e) => e.type))).toEqual(
      new Set(['user.message', 'assistant.message', 'tool.call', 'tool.result']),
    );
  });
});
