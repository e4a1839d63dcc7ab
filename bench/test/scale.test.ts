import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScaleLayoutResult, ScaleResult } from '../src/scale/scale-result.js';
import { SCALE, SCALE_TINY, scaleSizes } from '../src/scale/scale-sizes.js';
import { scaleTargets } from '../src/scale/scale-targets.js';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const bench = (args: string[]) => promisify(execFile)(tsx, [cli, ...args], { timeout: 100_000 });

describe('scale sizes', () => {
  it('defaults to 10,000,000 events over 100,000 sessions, measured at 1,000,000', () => {
    expect(scaleSizes(SCALE, {})).toMatchObject({
      events: 10_000_000,
      sessions: 100_000,
      midpoint: 1_000_000,
      layouts: ['plain', 'partitioned'],
    });
  });

  it('puts the midpoint a tenth of the way, in whole sessions, when only the counts are given', () => {
    expect(scaleSizes(SCALE, { events: 200_000, sessions: 2_000 })).toMatchObject({
      midpoint: 20_000,
      // Sessions are interleaved the same way before and after it: waves of its 200 sessions.
      waveSessions: 200,
    });
    expect(scaleSizes(SCALE, { events: 3_000, sessions: 10 }).midpoint).toBe(300);
    // Fewer events than ten sessions' worth: the first checkpoint is one whole session.
    expect(scaleSizes(SCALE, { events: 500, sessions: 5 }).midpoint).toBe(100);
  });

  it('refuses counts that do not split into whole sessions, and unknown layouts', () => {
    expect(() => scaleSizes(SCALE, { events: 1_001, sessions: 10 })).toThrow(/multiple/);
    expect(() => scaleSizes(SCALE_TINY, { midpoint: 1_010 })).toThrow(/whole sessions of 40/);
    expect(() => scaleSizes(SCALE_TINY, { midpoint: 2_000 })).toThrow(/below --scale-events/);
    expect(() => scaleSizes(SCALE, { layouts: ['plain', 'sharded'] })).toThrow(/unknown layout/);
  });
});

describe('scale targets', () => {
  const checkpoint = (rate: number, p99: number, p95: number) => ({
    load: { lastWaves: { eventsPerSec: rate } },
    appendExisting: { eventsPerSec: rate, appendP99MedianRoundMs: p99 },
    appendNew: { eventsPerSec: rate, appendP99MedianRoundMs: p99 },
    recentReplay: { p95MedianRoundMs: p95 },
    wholeReplay: { p95MedianRoundMs: p95 },
  });
  const layout = (...checkpoints: unknown[]) =>
    ({ layout: 'plain', partitions: 0, checkpoints, seconds: 1 }) as ScaleLayoutResult;

  it('compares costs: a rate falling to 1/1.5 still passes, a latency growing past 1.5x misses', () => {
    const targets = scaleTargets([layout(checkpoint(3_000, 2, 1), checkpoint(2_000, 3.2, 1.4))]);
    expect(targets).toHaveLength(7);
    const byMetric = Object.fromEntries(targets.map((t) => [t.metric, t]));
    expect(byMetric['single appends onto loaded sessions']).toMatchObject({
      costRatio: 1.5,
      pass: true,
    });
    expect(byMetric['single appends onto loaded sessions p99']).toMatchObject({
      costRatio: 1.6,
      pass: false,
    });
    expect(byMetric['replay of a whole session p95']).toMatchObject({ costRatio: 1.4, pass: true });
  });

  it('misses every target of a layout that stopped before its second checkpoint', () => {
    const targets = scaleTargets([layout(checkpoint(3_000, 2, 1))]);
    expect(targets.every((t) => !t.pass && t.costRatio === null)).toBe(true);
  });
});

describe('pnpm bench --scale (tiny sizes, no timing thresholds)', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('loads both layouts to both checkpoints, measures each, and writes the results', async () => {
    const out = await mkdtemp(join(tmpdir(), 'bench-scale-'));
    dirs.push(out);
    const { stdout } = await bench(['--', '--scale', '--tiny', '--seed=7', `--out=${out}`]);
    const sizes = SCALE_TINY;
    const perSession = sizes.events / sizes.sessions;
    expect(stdout).toContain('plain 1k');
    expect(stdout).toContain('partitioned 1k');
    expect(stdout).toMatch(/(PASS|MISS) {2}partitioned +replay of a whole session p95/);

    const files = await readdir(out);
    expect(files).toContain('scale-latest.json');
    expect(files.filter((f) => /^scale-\d{4}-.*\.json$/.test(f))).toHaveLength(1);
    const result = JSON.parse(
      await readFile(join(out, 'scale-latest.json'), 'utf8'),
    ) as ScaleResult;
    expect(result.kind).toBe('scale');
    expect(result.sizes).toEqual(sizes);
    expect(result.server?.version).toMatch(/^\d+/);
    expect(result.layouts.map((l) => [l.layout, l.partitions])).toEqual([
      ['plain', 0],
      ['partitioned', sizes.partitions],
    ]);
    const appends = sizes.producers * sizes.appendsPerProducer;
    for (const layout of result.layouts) {
      expect(layout.error).toBeUndefined();
      expect(layout.checkpoints.map((c) => [c.events, c.sessions])).toEqual([
        [sizes.midpoint, sizes.midpoint / perSession],
        [sizes.events, sizes.sessions],
      ]);
      for (const [k, c] of layout.checkpoints.entries()) {
        // The layout is what it says: `events` is hash-partitioned or not.
        expect(c.tables.eventsPartitions).toBe(layout.partitions);
        // Every event loaded so far is stored, plus the earlier checkpoints' appends.
        expect(c.tables.storedEvents).toBeGreaterThanOrEqual(c.events + k * 2 * appends);
        expect(c.load.events).toBe(k === 0 ? sizes.midpoint : sizes.events - sizes.midpoint);
        expect(c.load.eventsPerSec).toBeGreaterThan(0);
        expect(c.load.lastWaves.eventsPerWave).toBe(sizes.waveSessions * perSession);
        // Tiny: 25 sessions per checkpoint in waves of 5, 10 and 10.
        expect(c.load.lastWaves.roundEventsPerSec).toHaveLength(3);
        for (const bytes of [
          c.tables.eventsHeapBytes,
          c.tables.eventsTotalBytes,
          c.tables.sessionsTotalBytes,
          c.tables.eventsIndexBytes.events_pkey,
          c.tables.eventsIndexBytes.events_session_id_id_key,
        ]) {
          expect(bytes).toBeGreaterThan(0);
        }
        expect(c.recentReplay.samples).toBe(sizes.recentReads);
        expect(c.wholeReplay.samples).toBe(sizes.wholeReads);
        for (const r of [c.recentReplay, c.wholeReplay]) {
          expect(r.p95MedianRoundMs).toBeGreaterThan(0);
          expect(r.p95MedianRoundMs).toBeLessThanOrEqual(r.maxMs);
        }
        for (const a of [c.appendExisting, c.appendNew]) {
          expect(a.producers).toBe(sizes.producers);
          expect(a.appendLatency?.samples).toBe(appends);
          expect(a.eventsPerSec).toBeGreaterThan(0);
          expect(a.appendP99MedianRoundMs).toBeGreaterThan(0);
        }
      }
    }
    // Seven metrics per layout, each compared between the two checkpoints.
    expect(result.targets).toHaveLength(14);
    for (const t of result.targets) expect(t.costRatio).not.toBeNull();
  }, 120_000);

  it('refuses options of the other modes and counts that do not split into sessions', async () => {
    await expect(bench(['--scale', '--adapters=sqlite', '--no-write'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--scale does not take --adapters'),
    });
    await expect(bench(['--scale-events=1000', '--no-write'])).rejects.toMatchObject({
      stderr: expect.stringContaining('only apply with --scale'),
    });
    await expect(
      bench(['--scale', '--scale-events=1001', '--scale-sessions=10', '--no-write']),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('multiple of --scale-sessions') });
  }, 60_000);
});
