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

/** `envelopes` as `appendMany` calls of `batchSize`, split into timing rounds first. */
export function ingestRounds(envelopes: readonly Envelope[], batchSize: number): Envelope[][][] {
  return splitRounds(envelopes).map((part) => {
    const calls: Envelope[][] = [];
    for (let i = 0; i < part.length; i += batchSize) calls.push(part.slice(i, i + batchSize));
    return calls;
  });
}

/** Scenario 1: bulk ingest, `appendMany` calls timed in rounds; `afterRound` runs untimed. */
export async function runIngest(
  store: BenchStore,
  rounds: readonly (readonly (readonly Envelope[])[])[],
  bytes: number,
  afterRound?: () => void,
): Promise<IngestResult> {
  const { value, ...delay } = await withEventLoopDelay(async () => {
    const out: Round[] = [];
    for (const round of rounds) {
      const started = performance.now();
      let events = 0;
      for (const call of round) {
        const results = await store.appendMany(call);
        if (results.length !== call.length)
          throw new Error(`appendMany returned ${results.length} results`);
        events += call.length;
      }
      out.push({ events, ms: performance.now() - started });
      afterRound?.();
    }
    return out;
  });
  return result(value, bytes, delay);
}

/** The serialisation floor: `JSON.stringify` of the same envelopes and nothing else. */
export async function runSerialisationFloor(
  envelopes: readonly Envelope[],
  bytes: number,
): Promise<IngestResult> {
  let sink = 0;
  const { value, ...delay } = await timeRounds(splitRounds(envelopes), async (part) => {
    for (const e of part) sink += JSON.stringify(e).length;
  });
  if (sink === 0) throw new Error('nothing serialised');
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
