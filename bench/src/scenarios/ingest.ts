import type { Envelope } from '@history/core';
import { withEventLoopDelay } from '../measure.js';
import type { IngestResult } from '../results.js';
import type { BenchStore, Ceiling, CeilingRow } from '../subject.js';

function rate(
  events: number,
  bytes: number,
  ms: number,
  eventLoopDelayP99Ms: number,
): IngestResult {
  const seconds = ms / 1000;
  return {
    events,
    bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    eventsPerSec: Math.round(events / seconds),
    mbPerSec: Math.round((bytes / 1048576 / seconds) * 100) / 100,
    eventLoopDelayP99Ms,
  };
}

/** Scenario 1: bulk ingest, one `appendMany` of `batchSize` envelopes at a time. */
export async function runIngest(
  store: BenchStore,
  envelopes: readonly Envelope[],
  batchSize: number,
  bytes: number,
): Promise<IngestResult> {
  const { value: ms, eventLoopDelayP99Ms } = await withEventLoopDelay(async () => {
    const started = performance.now();
    for (let i = 0; i < envelopes.length; i += batchSize) {
      const results = await store.appendMany(envelopes.slice(i, i + batchSize));
      if (results.length !== Math.min(batchSize, envelopes.length - i)) {
        throw new Error(`appendMany returned ${results.length} results`);
      }
    }
    return performance.now() - started;
  });
  return rate(envelopes.length, bytes, ms, eventLoopDelayP99Ms);
}

/** Scenario 1 for the ceiling: the same rows, serialised before the clock starts. */
export async function runCeilingIngest(
  ceiling: Ceiling,
  rows: readonly CeilingRow[],
  batchSize: number,
  bytes: number,
): Promise<IngestResult> {
  const prepared = ceiling.prepare(rows);
  const { value: ms, eventLoopDelayP99Ms } = await withEventLoopDelay(async () => {
    const started = performance.now();
    for (let i = 0; i < prepared.length; i += batchSize) {
      await ceiling.writeBatch(prepared.slice(i, i + batchSize));
    }
    return performance.now() - started;
  });
  return rate(rows.length, bytes, ms, eventLoopDelayP99Ms);
}
