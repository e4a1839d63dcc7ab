import type { HistoryRecord } from '@history/core';
import { startCrossProcessFollower } from '../follow/cross-process-follower.js';
import { wallClockMs } from '../follow/wall-clock.js';
import { summarise } from '../measure.js';
import type { DeliveryResult } from '../results.js';
import { smallEnvelope } from '../small-envelope.js';
import type { AdapterRunner, AdapterStore, BenchContext } from '../subject.js';

export interface DeliveryPlan {
  runner: AdapterRunner;
  ctx: BenchContext;
  appends: number;
  step(label: string): void;
}

const SESSION = 'delivery';
/** Untimed appends first: each follower's first wake-up, and the JIT. */
const WARM_UP_APPENDS = 20;
/**
 * Appends come at random intervals averaging this, whatever the deliveries do: a steady
 * writer, whose events fall anywhere in a follower's poll interval (waiting for each delivery
 * before the next append would line appends up with the polls and bias the figure).
 */
const MEAN_GAP_MS = 5;

/** Resolves with the latency of each delivery of a follower, as its records arrive. */
function followerLatencies(records: AsyncIterable<HistoryRecord>) {
  const waiting = new Map<string, (ms: number) => void>();
  const early = new Map<string, number>();
  const done = (async () => {
    for await (const record of records) {
      const { sentAtMs } = record.envelope.payload as { sentAtMs: number };
      const ms = wallClockMs() - sentAtMs;
      const wake = waiting.get(record.id);
      if (wake) {
        waiting.delete(record.id);
        wake(ms);
      } else early.set(record.id, ms);
    }
  })();
  return {
    delivered(id: string): Promise<number> {
      const ms = early.get(id);
      if (ms !== undefined) {
        early.delete(id);
        return Promise.resolve(ms);
      }
      return new Promise((resolve) => waiting.set(id, resolve));
    },
    done,
  };
}

/**
 * Append-to-delivery latency: single appends at random intervals, each timed from just
 * before its `append` call until each follower holds the event: a session follower and a
 * feed follower in this process, and a feed follower in another process where the storage
 * allows one.
 */
export async function runDelivery(
  store: AdapterStore,
  plan: DeliveryPlan,
): Promise<DeliveryResult> {
  const controller = new AbortController();
  const { signal } = controller;
  plan.step('follow: starting followers');
  const stream = followerLatencies(store.stream(SESSION, { follow: true, signal }));
  const feed = followerLatencies(
    (async function* () {
      for await (const entry of store.feed({ follow: true, signal })) yield entry.record;
    })(),
  );
  const other = plan.runner.sharedStorage
    ? await startCrossProcessFollower(plan.runner.name, plan.ctx)
    : undefined;
  const timed: Promise<Array<number | undefined>>[] = [];
  try {
    plan.step(`follow: ${plan.appends} appends, ${MEAN_GAP_MS} ms apart on average`);
    for (let i = 0; i < WARM_UP_APPENDS + plan.appends; i++) {
      const envelope = smallEnvelope(SESSION, i, Date.now());
      envelope.payload = { sentAtMs: wallClockMs() };
      await store.append(envelope);
      const deliveries = Promise.all([
        stream.delivered(envelope.id),
        feed.delivered(envelope.id),
        other?.delivered(envelope.id),
      ]);
      // Warm-up deliveries are awaited, untimed: every follower is running before the rest.
      if (i < WARM_UP_APPENDS) await deliveries;
      else timed.push(deliveries);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * MEAN_GAP_MS));
    }
    plan.step('follow: waiting for the last deliveries');
    const latencies = await Promise.all(timed);
    const column = (k: number) => latencies.map((l) => l[k]!);
    return {
      appends: plan.appends,
      sameProcessStream: summarise(column(0)),
      sameProcessFeed: summarise(column(1)),
      crossProcessFeed: other ? summarise(column(2)) : null,
      ...(other ? {} : { crossProcessSkipped: 'the storage cannot be opened by another process' }),
    };
  } finally {
    controller.abort();
    await Promise.all([stream.done, feed.done, other?.stop()]);
  }
}
