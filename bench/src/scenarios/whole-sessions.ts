import type { Envelope } from '@history/core';
import { summarise, timed, withEventLoopDelay } from '../measure.js';
import type { WholeSessionResult } from '../results.js';
import type { BenchStore } from '../subject.js';

/**
 * Untimed reads before the timed ones: at least this many, and then until this
 * many events have been streamed or this much time has passed. V8 was seen still
 * compiling the read path (the stream's generators, the adapter's page reader)
 * with TurboFan after 300 reads of a 100-event session; its compile jobs then
 * share the 2 cores with the timed reads and stall the first few dozen by
 * several milliseconds. Steady state is what a long-running agent process sees.
 */
const WARM_UP_READS = 50;
const WARM_UP_EVENTS = 100_000;
const WARM_UP_MAX_MS = 3_000;

/** Streams a whole session, checking every event came back. */
async function drainWhole(store: BenchStore, sessionId: string, expected: number) {
  let count = 0;
  for await (const _ of store.stream(sessionId)) count++;
  if (count !== expected)
    throw new Error(`stream(${sessionId}) yielded ${count} records, expected ${expected}`);
}

/**
 * Scenario 3a, the agent resuming a conversation: `stream(sessionId)` of a
 * whole session, start to end, for sessions of each size; `reads` timed reads
 * per size, cycling over its sessions, after untimed warm-up reads.
 */
export async function runWholeSessions(
  store: BenchStore,
  sessionsBySize: ReadonlyMap<number, readonly (readonly Envelope[])[]>,
  reads: number,
): Promise<WholeSessionResult[]> {
  const out: WholeSessionResult[] = [];
  for (const [size, sessions] of sessionsBySize) {
    const ids = sessions.map((s) => s[0]?.sessionId ?? 'default');
    // Untimed: every session once, and enough reads for the JIT to settle on this path
    // (the first few hundred reads of a store are its compilation, not its steady state).
    const warmUpEnds = performance.now() + WARM_UP_MAX_MS;
    for (let i = 0; ; i++) {
      const enough = i >= Math.max(ids.length, WARM_UP_READS);
      if (enough && (i * size >= WARM_UP_EVENTS || performance.now() >= warmUpEnds)) break;
      await drainWhole(store, ids[i % ids.length]!, size);
    }
    const { value, eventLoopDelayP99Ms, gcMaxPauseMs } = await withEventLoopDelay(async () => {
      const samples: number[] = [];
      for (let i = 0; i < reads; i++) {
        const id = ids[i % ids.length]!;
        samples.push(await timed(() => drainWhole(store, id, size)));
      }
      return samples;
    });
    out.push({
      events: size,
      sessions: ids.length,
      latency: summarise(value),
      eventLoopDelayP99Ms,
      gcMaxPauseMs,
    });
  }
  return out;
}
