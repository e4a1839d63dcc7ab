import type { Envelope } from '@history/core';
import { collectGarbage, summarise } from '../measure.js';
import type { ListSessionsScenarioResult } from '../results.js';
import { smallEnvelope } from '../small-envelope.js';
import type { AdapterStore } from '../subject.js';

export interface ListSessionsPlan {
  sessions: number;
  passes: number;
  batchSize: number;
  step(label: string): void;
}

/**
 * Sessions per timed page: what core asks the backend for at a time (`SESSION_PAGE_SIZE`
 * in `@history/core`), so each timed page is one backend call plus yielding its sessions.
 */
export const SESSION_PAGE = 100;
/** Untimed sessions listed first: JIT, and each pooled connection preparing its statement. */
const WARM_UP_SESSIONS = 2_000;
/**
 * A timed pass stops after this long: a store whose page cost grows with the number of
 * sessions (the memory store sorts all of them for every page) would otherwise hold
 * `--full` for a quarter of an hour. The pages timed until then are its figure.
 */
const PASS_BUDGET_MS = 60_000;
/** The scenario's own sessions: the listing is by prefix, as a tenant's or a user's would be. */
const PREFIX = 'listed-';

/** Untimed: `sessions` sessions of one small event each, created in `appendMany` calls. */
async function load(store: AdapterStore, plan: ListSessionsPlan, ids: readonly string[]) {
  const now = Date.now();
  for (let i = 0; i < ids.length; i += plan.batchSize) {
    const batch: Envelope[] = ids
      .slice(i, i + plan.batchSize)
      .map((id) => smallEnvelope(id, 0, now));
    await store.appendMany(batch);
  }
}

/**
 * One pass over every listed session, timing each page of `SESSION_PAGE` (the time between
 * successive page boundaries of the iterator) into `pages`; checks the order, and the count
 * of a complete pass. Its seconds, or null when it ran out of `PASS_BUDGET_MS`.
 */
async function pass(
  store: AdapterStore,
  ids: readonly string[],
  pages: number[],
): Promise<number | null> {
  const started = performance.now();
  let last = started;
  let count = 0;
  for await (const session of store.listSessions({ prefix: PREFIX })) {
    // Zero-padded ASCII ids: their code point order is the array's order.
    if (session.sessionId !== ids[count]) {
      throw new Error(
        `listSessions yielded ${session.sessionId} at position ${count}; expected ${ids[count]}`,
      );
    }
    count++;
    if (count % SESSION_PAGE === 0) {
      const now = performance.now();
      pages.push(now - last);
      last = now;
      if (now - started > PASS_BUDGET_MS) return null;
    }
  }
  if (count !== ids.length) {
    throw new Error(`listSessions yielded ${count} sessions; expected ${ids.length}`);
  }
  return (performance.now() - started) / 1000;
}

/**
 * Lifecycle, listing: `listSessions` over many sessions, a page of `SESSION_PAGE` at a
 * time, as an admin view or a cleanup job pages through them.
 */
export async function runListSessions(
  store: AdapterStore,
  plan: ListSessionsPlan,
): Promise<ListSessionsScenarioResult> {
  const width = String(plan.sessions - 1).length;
  const ids = Array.from(
    { length: plan.sessions },
    (_, n) => `${PREFIX}${String(n).padStart(width, '0')}`,
  );
  plan.step(`lifecycle: creating ${plan.sessions.toLocaleString('en-US')} sessions`);
  const loadStarted = performance.now();
  await load(store, plan, ids);
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  plan.step('lifecycle: listSessions');
  for await (const _ of store.listSessions({ prefix: PREFIX, limit: WARM_UP_SESSIONS })) {
    // Drained untimed.
  }
  const pages: number[] = [];
  const passSeconds: number[] = [];
  let incompletePasses = 0;
  for (let p = 0; p < plan.passes; p++) {
    collectGarbage();
    const seconds = await pass(store, ids, pages);
    if (seconds === null) incompletePasses++;
    else passSeconds.push(Math.round(seconds * 1000) / 1000);
  }
  return {
    sessions: plan.sessions,
    pageSize: SESSION_PAGE,
    loadSeconds: Math.round(loadSeconds * 1000) / 1000,
    page: summarise(pages),
    passSeconds,
    incompletePasses,
  };
}
