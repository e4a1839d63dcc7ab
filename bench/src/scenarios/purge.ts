import type { Envelope, PurgeResult } from '@history/core';
import { collectGarbage, summarise, withEventLoopDelay } from '../measure.js';
import type { PurgeScenarioResult } from '../results.js';
import { smallEnvelope } from '../small-envelope.js';
import type { AdapterStore } from '../subject.js';

export interface PurgePlan {
  expiredEvents: number;
  sessions: number;
  liveEventsPerSession: number;
  producers: number;
  idleAppends: number;
  /** The idle appends go on for at least this long (see `purgeIdleSeconds`). */
  idleSeconds: number;
  batchSize: number;
  step(label: string): void;
}

const DAY_MS = 24 * 3600 * 1000;
/** Expired events occurred a day before the load and had a minute to live: all long expired. */
const EXPIRED_AGO_MS = DAY_MS;
const EXPIRED_TTL_MS = 60_000;
/** Half the live events carry a ttl a month away: a stored expiry the purge must leave alone. */
const LIVE_TTL_MS = 30 * DAY_MS;
/** Untimed appends per producer before the idle figure: JIT, and each session's first append. */
const WARM_UP_APPENDS = 200;
/**
 * A producer moves on to a new session every this many appends, as agents' sessions end: an
 * append's periodic costs grow with its session's length (SQLite seals a block of 128 ids
 * into an index whose pages are as many as the session's), so one ever-growing session per
 * producer gave the purge phase, which comes later, longer sessions than the idle phase
 * (idle p99 0.6-0.7 ms in sessions of 1,000-2,000 events, 2.0-2.3 ms past 60,000).
 */
const PRODUCER_SESSION_EVENTS = 1_000;

const sessionOf = (n: number) => `expiring-${n}`;

/** Expired events per session: `expiredEvents` spread as evenly as they go. */
function expiredCounts(plan: PurgePlan): number[] {
  const sessions = Math.max(1, Math.min(plan.sessions, plan.expiredEvents));
  const each = Math.floor(plan.expiredEvents / sessions);
  const extra = plan.expiredEvents % sessions;
  return Array.from({ length: sessions }, (_, n) => each + (n < extra ? 1 : 0));
}

/** Untimed: each session's expired events, then its live ones (a session's newest outlive its oldest). */
async function load(store: AdapterStore, plan: PurgePlan, counts: readonly number[]) {
  const now = Date.now();
  let batch: Envelope[] = [];
  const add = async (envelope: Envelope) => {
    batch.push(envelope);
    if (batch.length >= plan.batchSize) await flush();
  };
  const flush = async () => {
    if (batch.length > 0) await store.appendMany(batch);
    batch = [];
  };
  for (const [n, count] of counts.entries()) {
    for (let i = 0; i < count; i++) {
      // A millisecond apart: a million of them still expired a day ago.
      await add(smallEnvelope(sessionOf(n), i, now - EXPIRED_AGO_MS + i, EXPIRED_TTL_MS));
    }
  }
  for (const [n, count] of counts.entries()) {
    for (let j = 0; j < plan.liveEventsPerSession; j++) {
      await add(smallEnvelope(sessionOf(n), count + j, now, j % 2 ? LIVE_TTL_MS : undefined));
    }
  }
  await flush();
}

/**
 * P producers, each in its own sessions (a new one every `PRODUCER_SESSION_EVENTS`), each
 * awaiting one `append` after another, every producer at least once and on while
 * `more(appendsSoFar)` holds; latencies into `samples`.
 */
async function produce(
  store: AdapterStore,
  producers: number,
  next: number[],
  more: (appends: number) => boolean,
  samples?: number[],
): Promise<void> {
  await Promise.all(
    next.slice(0, producers).map(async (_, p) => {
      let appends = 0;
      do {
        const n = next[p]!++;
        const session = `purge-producer-${p}.${Math.floor(n / PRODUCER_SESSION_EVENTS)}`;
        const envelope = smallEnvelope(session, n, Date.now());
        const started = performance.now();
        await store.append(envelope);
        samples?.push(performance.now() - started);
        appends++;
      } while (more(appends));
    }),
  );
}

/** The purge removed exactly the expired events, and every live one is still there, in order. */
async function verify(
  store: AdapterStore,
  plan: PurgePlan,
  counts: readonly number[],
  purged: PurgeResult,
): Promise<void> {
  if (purged.deletedEvents !== plan.expiredEvents || !purged.done) {
    throw new Error(
      `purgeExpired() removed ${purged.deletedEvents} events (done: ${purged.done}); expected ${plan.expiredEvents} (done: true)`,
    );
  }
  for (const [n, count] of counts.entries()) {
    const id = sessionOf(n);
    const info = await store.getSession(id);
    const lastSeq = count + plan.liveEventsPerSession;
    if (info?.eventCount !== plan.liveEventsPerSession || info.lastSeq !== lastSeq) {
      throw new Error(
        `after the purge, getSession(${id}) gave eventCount ${info?.eventCount} and lastSeq ${info?.lastSeq}; expected ${plan.liveEventsPerSession} and ${lastSeq}`,
      );
    }
    const streamed: string[] = [];
    for await (const record of store.stream(id)) streamed.push(record.id);
    const live = Array.from(
      { length: plan.liveEventsPerSession },
      (_, j) => smallEnvelope(id, count + j, 0).id,
    );
    if (streamed.join() !== live.join()) {
      throw new Error(
        `after the purge, ${id} streamed [${streamed}]; expected its live events [${live}]`,
      );
    }
  }
}

/**
 * Lifecycle, purge: events loaded already expired (with live ones beside them), then the
 * append latency of P producers idle, then the same producers appending while
 * `purgeExpired()` removes every expired event; the purge must not stall them.
 */
export async function runPurge(store: AdapterStore, plan: PurgePlan): Promise<PurgeScenarioResult> {
  const counts = expiredCounts(plan);
  plan.step(`lifecycle: loading ${plan.expiredEvents.toLocaleString('en-US')} expired events`);
  const loadStarted = performance.now();
  await load(store, plan, counts);
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  let stored = 0;
  for (const n of counts.keys()) stored += (await store.getSession(sessionOf(n)))?.eventCount ?? 0;
  const liveEvents = counts.length * plan.liveEventsPerSession;
  if (stored !== plan.expiredEvents + liveEvents) {
    throw new Error(
      `loaded ${plan.expiredEvents + liveEvents} events, getSession counts ${stored}`,
    );
  }

  plan.step('lifecycle: appends, idle');
  const next = new Array<number>(plan.producers).fill(0);
  await produce(
    store,
    plan.producers,
    next,
    (a) => a < Math.min(WARM_UP_APPENDS, plan.idleAppends),
  );
  collectGarbage();
  const idle: number[] = [];
  // 10,000 idle appends take under a second: over four runs their p99 went from 0.9 to 2.6 ms,
  // while the purge's 20 s of appends gave 3.6-3.9 ms. Both windows must be long enough to hold
  // the appends' own periodic costs (WAL checkpoints, garbage collection).
  const idleUntil = performance.now() + plan.idleSeconds * 1000;
  await produce(
    store,
    plan.producers,
    next,
    (a) => a < plan.idleAppends || performance.now() < idleUntil,
    idle,
  );

  plan.step('lifecycle: appends during purgeExpired()');
  collectGarbage();
  const during: number[] = [];
  let purging = true;
  const { value, eventLoopDelayP99Ms, gcMaxPauseMs } = await withEventLoopDelay(async () => {
    const started = performance.now();
    const purge = store.purgeExpired().finally(() => {
      purging = false;
    });
    const producing = produce(store, plan.producers, next, () => purging, during);
    // Awaited below, after the purge: a failed append must not be an unhandled rejection meanwhile.
    producing.catch(() => {});
    try {
      const result = await purge;
      return { result, seconds: (performance.now() - started) / 1000 };
    } finally {
      // A failed purge stops the producers too; wait for them before the store is closed.
      await producing;
    }
  });
  await verify(store, plan, counts, value.result);

  const idleLatency = summarise(idle);
  const purgeLatency = summarise(during);
  return {
    expiredEvents: plan.expiredEvents,
    liveEvents,
    sessions: counts.length,
    loadSeconds: Math.round(loadSeconds * 1000) / 1000,
    producers: plan.producers,
    idleAppendLatency: idleLatency,
    purgeAppendLatency: purgeLatency,
    p99OverIdle:
      idleLatency.p99Ms > 0 ? Math.round((purgeLatency.p99Ms / idleLatency.p99Ms) * 100) / 100 : 0,
    purgeSeconds: Math.round(value.seconds * 1000) / 1000,
    purgedPerSec: Math.round(value.result.deletedEvents / value.seconds),
    eventLoopDelayP99Ms,
    gcMaxPauseMs,
  };
}
