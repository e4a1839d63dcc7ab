import { collectGarbage } from '../measure.js';
import type { CatchUpResult } from '../results.js';
import { median } from '../rounds.js';
import type { AdapterStore } from '../subject.js';
import { interleavedEvents } from '../workload.js';

export interface CatchUpPlan {
  events: number;
  sessions: number;
  batchSize: number;
  seed: number;
  step(label: string): void;
}

/** Timed passes of each read, alternating, so a burst of other work skews one pass, not a figure. */
const PASSES = 3;

/**
 * A consumer catching up: `feed()` over every stored event, against `stream()` of every
 * session whole (the adapter's replay rate), on the same events: the transcript workload
 * interleaved over the sessions as concurrent agents write it. Rates are medians of passes.
 */
export async function runFeedCatchUp(
  store: AdapterStore,
  plan: CatchUpPlan,
): Promise<CatchUpResult> {
  const envelopes = interleavedEvents(plan.seed, 'catch-up', plan.sessions, plan.events);
  const sessionIds = [...new Set(envelopes.map((e) => e.sessionId!))];
  plan.step(`follow: loading ${plan.events.toLocaleString('en-US')} events`);
  const loadStarted = performance.now();
  for (let i = 0; i < envelopes.length; i += plan.batchSize) {
    await store.appendMany(envelopes.slice(i, i + plan.batchSize));
  }
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  // The store held other events before (the delivery figures'): the feed reads them too.
  let stored = 0;
  for await (const _ of store.feed()) stored++;
  const feedRates: number[] = [];
  const replayRates: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    plan.step(`follow: catch-up pass ${pass + 1} of ${PASSES}`);
    collectGarbage();
    let started = performance.now();
    let count = 0;
    for await (const _ of store.feed()) count++;
    if (count !== stored) throw new Error(`feed() yielded ${count} events, expected ${stored}`);
    feedRates.push(count / ((performance.now() - started) / 1000));
    collectGarbage();
    started = performance.now();
    count = 0;
    for (const sessionId of sessionIds) {
      for await (const _ of store.stream(sessionId)) count++;
    }
    if (count !== plan.events) {
      throw new Error(`the sessions streamed ${count} events, expected ${plan.events}`);
    }
    replayRates.push(count / ((performance.now() - started) / 1000));
  }
  const feedEventsPerSec = Math.round(median(feedRates));
  const replayEventsPerSec = Math.round(median(replayRates));
  return {
    events: plan.events,
    sessions: sessionIds.length,
    loadSeconds: Math.round(loadSeconds * 1000) / 1000,
    feedEventsPerSec,
    replayEventsPerSec,
    feedOverReplay: Math.round((feedEventsPerSec / replayEventsPerSec) * 1000) / 1000,
  };
}
