import type { Envelope } from '@history/core';
import { summarise, timed, withEventLoopDelay } from '../measure.js';
import type { WholeSessionResult } from '../results.js';
import type { BenchStore } from '../subject.js';

const WARM_UP_READS = 50;

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
    // (the first few dozen reads of a store are its compilation, not its steady state).
    for (let i = 0; i < Math.max(ids.length, WARM_UP_READS); i++) {
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
