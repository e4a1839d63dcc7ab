import type { Envelope } from '@history/core';
import { summarise, withEventLoopDelay } from '../measure.js';
import type { ConcurrentResult } from '../results.js';
import { median, ROUNDS, splitRounds } from '../rounds.js';
import type { BenchStore, Floor } from '../subject.js';

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
  const latencies: number[] = [];
  const parts = producers.map((events) => splitRounds(events));
  const {
    value: rounds,
    eventLoopDelayP99Ms,
    gcMaxPauseMs,
  } = await withEventLoopDelay(async () => {
    const out: Array<{ events: number; ms: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const started = performance.now();
      let events = 0;
      await Promise.all(
        parts.map(async (rounds) => {
          for (const envelope of rounds[r] ?? []) {
            const t = performance.now();
            await store.append(envelope);
            latencies.push(performance.now() - t);
            events++;
          }
        }),
      );
      if (events > 0) out.push({ events, ms: performance.now() - started });
    }
    return out;
  });
  const ms = rounds.reduce((sum, r) => sum + r.ms, 0);
  const roundRates = rounds.map((r) => Math.round((r.events / r.ms) * 1000));
  return {
    producers: producers.length,
    events: latencies.length,
    seconds: Math.round(ms) / 1000,
    eventsPerSec: Math.round(median(roundRates)),
    roundEventsPerSec: roundRates,
    appendLatency: summarise(latencies),
    eventLoopDelayP99Ms,
    gcMaxPauseMs,
  };
}

/**
 * Scenario 2 for the floor: the same producers served in lock-step, one
 * `writeRound` per round of one envelope from each producer still going.
 */
export async function runFloorConcurrent(
  floor: Floor,
  producers: readonly (readonly Envelope[])[],
): Promise<ConcurrentResult> {
  const parts = producers.map((events) => splitRounds(events));
  let total = 0;
  const {
    value: rounds,
    eventLoopDelayP99Ms,
    gcMaxPauseMs,
  } = await withEventLoopDelay(async () => {
    const out: Array<{ events: number; ms: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const lists = parts.map((p) => p[r] ?? []);
      const longest = Math.max(0, ...lists.map((l) => l.length));
      const started = performance.now();
      let events = 0;
      for (let k = 0; k < longest; k++) {
        const round = lists.flatMap((l) => (k < l.length ? [l[k]!] : []));
        await floor.writeRound(round);
        events += round.length;
      }
      if (events > 0) out.push({ events, ms: performance.now() - started });
      total += events;
    }
    return out;
  });
  const ms = rounds.reduce((sum, r) => sum + r.ms, 0);
  const roundRates = rounds.map((r) => Math.round((r.events / r.ms) * 1000));
  return {
    producers: producers.length,
    events: total,
    seconds: Math.round(ms) / 1000,
    eventsPerSec: Math.round(median(roundRates)),
    roundEventsPerSec: roundRates,
    eventLoopDelayP99Ms,
    gcMaxPauseMs,
  };
}
