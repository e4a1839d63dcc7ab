import type { Envelope } from '@history/core';
import { withEventLoopDelay } from '../measure.js';
import type { IngestResult } from '../results.js';
import { median, ROUNDS, splitRounds } from '../rounds.js';
import type { BenchStore, Ceiling, CeilingRow } from '../subject.js';

interface Round {
  events: number;
  ms: number;
}

function result(
  rounds: readonly Round[],
  bytes: number,
  delay: { eventLoopDelayP99Ms: number; gcMaxPauseMs: number },
): IngestResult {
  const events = rounds.reduce((sum, r) => sum + r.events, 0);
  const ms = rounds.reduce((sum, r) => sum + r.ms, 0);
  const roundRates = rounds.map((r) => Math.round((r.events / r.ms) * 1000));
  const eventsPerSec = Math.round(median(roundRates));
  return {
    events,
    bytes,
    seconds: Math.round(ms) / 1000,
    eventsPerSec,
    roundEventsPerSec: roundRates,
    mbPerSec: Math.round(((bytes / events) * eventsPerSec * 100) / 1048576) / 100,
    ...delay,
  };
}

async function timeRounds<T>(parts: readonly T[][], write: (part: T[]) => Promise<void>) {
  return withEventLoopDelay(async () => {
    const rounds: Round[] = [];
    for (const part of parts) {
      const started = performance.now();
      await write(part);
      rounds.push({ events: part.length, ms: performance.now() - started });
    }
    return rounds;
  });
}

/** Scenario 1: bulk ingest, one `appendMany` of `batchSize` envelopes at a time. */
export async function runIngest(
  store: BenchStore,
  envelopes: readonly Envelope[],
  batchSize: number,
  bytes: number,
): Promise<IngestResult> {
  const { value, ...delay } = await timeRounds(splitRounds(envelopes), async (part) => {
    for (let i = 0; i < part.length; i += batchSize) {
      const chunk = part.slice(i, i + batchSize);
      const results = await store.appendMany(chunk);
      if (results.length !== chunk.length)
        throw new Error(`appendMany returned ${results.length} results`);
    }
  });
  return result(value, bytes, delay);
}

/**
 * Scenario 1 for the ceiling: the same rows, serialised before the clock
 * starts. A ceiling pass is so short that it runs `ROUNDS` whole passes (each
 * into its own sessions, so keys stay unique) and reports the median pass rate.
 */
export async function runCeilingIngest(
  ceiling: Ceiling,
  rows: readonly CeilingRow[],
  batchSize: number,
  bytes: number,
): Promise<IngestResult> {
  const passes = Array.from({ length: ROUNDS }, (_, r) =>
    ceiling.prepare(
      r === 0 ? rows : rows.map((row) => ({ ...row, sessionId: `${row.sessionId}~${r}` })),
    ),
  );
  const { value, ...delay } = await timeRounds(passes, async (part) => {
    for (let i = 0; i < part.length; i += batchSize)
      await ceiling.writeBatch(part.slice(i, i + batchSize));
  });
  return result(value, bytes * ROUNDS, delay);
}
