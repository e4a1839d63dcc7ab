import type { Envelope } from '@history/core';
import { summarise, withEventLoopDelay } from '../measure.js';
import type { ConcurrentResult } from '../results.js';
import { median, medianRoundPercentile, ROUNDS, splitRounds } from '../rounds.js';
import type { BenchStore, Floor } from '../subject.js';

/**
 * Untimed appends before the timed rounds, in the scenario's own shape (the same
 * producers, on throw-away sessions): with only the store-wide warm-up, the
 * first of the four rounds ran at about half the rate of the last while V8 was
 * still compiling the path, for every store, and the median hid a cold start.
 */
const WARM_UP_EVENTS = 5_000;

function warmUpProducers(producers: readonly (readonly Envelope[])[]): Envelope[][] {
  // No more than the timed rounds themselves (the smoke test's tiny runs stay tiny).
  const total = producers.reduce((sum, events) => sum + events.length, 0);
  const each = Math.ceil(Math.min(WARM_UP_EVENTS, total) / Math.max(1, producers.length));
  return producers.map((events) =>
    events.slice(0, each).map((e) => ({
      ...e,
      id: `warm-up:${e.id}`,
      sessionId: `warm-up:${e.sessionId ?? 'default'}`,
    })),
  );
}

interface Round {
  events: number;
  ms: number;
}

/**
 * Times `ROUNDS` rounds of the producers' events (each producer's split into
 * rounds); `runRound` serves one round's parts, `parts[p]` being producer p's.
 */
async function timeRounds(
  producers: readonly (readonly Envelope[])[],
  runRound: (parts: ReadonlyArray<readonly Envelope[]>) => Promise<void>,
): Promise<Omit<ConcurrentResult, 'appendLatency'>> {
  const parts = producers.map((events) => splitRounds(events));
  const { value, eventLoopDelayP99Ms, gcMaxPauseMs } = await withEventLoopDelay(async () => {
    const rounds: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = parts.map((p) => p[r] ?? []);
      const events = round.reduce((sum, part) => sum + part.length, 0);
      const started = performance.now();
      await runRound(round);
      if (events > 0) rounds.push({ events, ms: performance.now() - started });
    }
    return rounds;
  });
  const ms = value.reduce((sum, r) => sum + r.ms, 0);
  const roundRates = value.map((r) => Math.round((r.events / r.ms) * 1000));
  return {
    producers: producers.length,
    events: value.reduce((sum, r) => sum + r.events, 0),
    seconds: Math.round(ms) / 1000,
    eventsPerSec: Math.round(median(roundRates)),
    roundEventsPerSec: roundRates,
    eventLoopDelayP99Ms,
    gcMaxPauseMs,
  };
}

/**
 * Scenario 2, the agent hot path: each producer (its own session) awaits
 * one `append` after another; all producers run at once. Each producer's
 * events are split into rounds; a round ends when every producer finished
 * its part.
 */
export async function runConcurrent(
  store: BenchStore,
  producers: readonly (readonly Envelope[])[],
): Promise<ConcurrentResult> {
  // Each timed round's latencies apart, for the median of the rounds' p99s.
  const rounds: number[][] = [];
  const serve = async (round: ReadonlyArray<readonly Envelope[]>, latencies?: number[]) => {
    await Promise.all(
      round.map(async (part) => {
        for (const envelope of part) {
          const t = performance.now();
          await store.append(envelope);
          latencies?.push(performance.now() - t);
        }
      }),
    );
  };
  await serve(warmUpProducers(producers));
  const result = await timeRounds(producers, (round) => {
    const latencies: number[] = [];
    rounds.push(latencies);
    return serve(round, latencies);
  });
  return {
    ...result,
    appendLatency: summarise(rounds.flat()),
    appendP99MedianRoundMs: medianRoundPercentile(rounds, 99),
  };
}

/**
 * Scenario 2 for the floor: the same producers served in lock-step, one
 * `writeRound` per step of one envelope from each producer still going.
 */
export function runFloorConcurrent(
  floor: Floor,
  producers: readonly (readonly Envelope[])[],
): Promise<ConcurrentResult> {
  const serve = async (round: ReadonlyArray<readonly Envelope[]>) => {
    const steps = Math.max(0, ...round.map((part) => part.length));
    for (let k = 0; k < steps; k++) {
      await floor.writeRound(round.flatMap((part) => (k < part.length ? [part[k]!] : [])));
    }
  };
  return serve(warmUpProducers(producers)).then(() => timeRounds(producers, serve));
}
