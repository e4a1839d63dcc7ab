import type { HistoryRange } from '@history/core';
import { summarise, timed, withEventLoopDelay } from '../measure.js';
import { Random } from '../random.js';
import type { ReplayResult } from '../results.js';
import type { BenchStore } from '../subject.js';

export interface ReplayPlan {
  deepSession: string;
  deepEvents: number;
  fullSession: string;
  fullStreamEvents: number;
  pageSize: number;
  pageIterations: number;
  fullStreamIterations: number;
  seed: number;
  /** Untimed seconds the caller spent loading both sessions. */
  loadSeconds: number;
}

/** Streams a range to the end, checking the store yielded what was asked for. */
async function drain(store: BenchStore, sessionId: string, range: HistoryRange, expected: number) {
  let count = 0;
  for await (const _ of store.stream(sessionId, range)) count++;
  if (count !== expected)
    throw new Error(`stream(${sessionId}) yielded ${count} records, expected ${expected}`);
}

/**
 * Scenario 3: latency of reading a 1,000-event page from the start of the
 * deep session, a 1,000-event page `after` a cursor near the end of it, and
 * a whole session. One untimed warm-up of each first.
 */
export async function runReplay(store: BenchStore, plan: ReplayPlan): Promise<ReplayResult> {
  const random = new Random(plan.seed);
  const { deepSession, deepEvents, pageSize } = plan;
  const deepAfter = () => Math.max(0, deepEvents - 2 * pageSize + random.int(0, pageSize));
  const page = { limit: pageSize };
  await drain(store, deepSession, page, pageSize);
  await drain(store, deepSession, { after: deepAfter(), limit: pageSize }, pageSize);
  await drain(store, plan.fullSession, {}, plan.fullStreamEvents);

  const { value, eventLoopDelayP99Ms, gcMaxPauseMs } = await withEventLoopDelay(async () => {
    const pages: number[] = [];
    const after: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < plan.pageIterations; i++) {
      pages.push(await timed(() => drain(store, deepSession, page, pageSize)));
      const cursor = deepAfter();
      after.push(
        await timed(() => drain(store, deepSession, { after: cursor, limit: pageSize }, pageSize)),
      );
    }
    for (let i = 0; i < plan.fullStreamIterations; i++) {
      full.push(await timed(() => drain(store, plan.fullSession, {}, plan.fullStreamEvents)));
    }
    return { pages, after, full };
  });
  return {
    deepEvents,
    fullStreamEvents: plan.fullStreamEvents,
    loadSeconds: plan.loadSeconds,
    page: summarise(value.pages),
    afterDeep: summarise(value.after),
    fullStream: summarise(value.full),
    eventLoopDelayP99Ms,
    gcMaxPauseMs,
  };
}
