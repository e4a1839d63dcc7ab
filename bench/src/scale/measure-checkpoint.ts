import type { Envelope, HistoryRange } from '@history/core';
import type pg from 'pg';
import { collectGarbage, summarise, timed } from '../measure.js';
import { Random } from '../random.js';
import { medianRoundPercentile, splitRounds } from '../rounds.js';
import { runConcurrent } from '../scenarios/concurrent.js';
import type { AdapterStore } from '../subject.js';
import type { ScaleEvents } from './scale-events.js';
import type { ScaleCheckpoint } from './scale-result.js';
import type { ScaleSizes } from './scale-sizes.js';
import { tableSizes } from './table-sizes.js';

export interface CheckpointPlan {
  store: AdapterStore;
  /** A connection of its own, for VACUUM and the size queries. */
  client: pg.Client;
  schema: string;
  events: ScaleEvents;
  sizes: ScaleSizes;
  seed: number;
  /** Names this checkpoint's probe ids and new sessions (unique per checkpoint). */
  label: string;
  /** Sessions loaded (0 to n - 1, each whole). */
  loadedSessions: number;
  /** Events appended to each loaded session since it was loaded, by the earlier probes: updated here. */
  extra: Uint32Array;
  step(label: string): void;
}

/** Streams `range` of a session, checking the store yielded `expected` records. */
async function drain(store: AdapterStore, id: string, range: HistoryRange, expected: number) {
  let count = 0;
  for await (const _ of store.stream(id, range)) count++;
  if (count !== expected)
    throw new Error(`stream(${id}) yielded ${count} records, expected ${expected}`);
}

/**
 * Replay latency of `reads` random loaded sessions, one at a time in `ROUNDS` rounds, after
 * `warmUpReads` untimed ones; `read` gives what to read of a session holding `count` events,
 * and how many records that is.
 */
async function replays(
  plan: CheckpointPlan,
  random: Random,
  reads: number,
  read: (count: number) => { range: HistoryRange; expected: number },
) {
  const perSession = plan.sizes.events / plan.sizes.sessions;
  const once = async () => {
    const n = random.int(0, plan.loadedSessions - 1);
    const { range, expected } = read(perSession + plan.extra[n]!);
    return timed(() => drain(plan.store, plan.events.sessionId(n), range, expected));
  };
  for (let i = 0; i < plan.sizes.warmUpReads; i++) await once();
  collectGarbage();
  const rounds: number[][] = [];
  for (const part of splitRounds(Array.from({ length: reads }, (_, i) => i))) {
    const samples: number[] = [];
    for (const _ of part) samples.push(await once());
    rounds.push(samples);
  }
  return {
    ...summarise(rounds.flat()),
    p95MedianRoundMs: medianRoundPercentile(rounds, 95),
  };
}

/**
 * Producers' single appends, prepared before the clock starts: onto random loaded sessions
 * (counted in `extra`, so replays expect them), or each into a session of its own.
 */
function probeAppends(plan: CheckpointPlan, random: Random, kind: 'existing' | 'new') {
  const { producers, appendsPerProducer } = plan.sizes;
  const probe = `${plan.label}-${kind}`;
  return Array.from({ length: producers }, (_, p) =>
    Array.from({ length: appendsPerProducer }, (_, i): Envelope => {
      const k = p * appendsPerProducer + i;
      if (kind === 'new') return plan.events.probe(probe, k, `scale-new-${plan.label}-${k}`);
      const n = random.int(0, plan.loadedSessions - 1);
      plan.extra[n]!++;
      return plan.events.probe(probe, k, plan.events.sessionId(n));
    }),
  );
}

/**
 * Everything measured at one checkpoint, in the same order at every one: `VACUUM (ANALYZE)`
 * (what autovacuum does to a table growing by inserts; done here so that it does not run
 * during one checkpoint's probes and not the other's), `CHECKPOINT`, table sizes, replays (read-only, on
 * the loaded sessions), then the producers' appends.
 */
export async function measureCheckpoint(
  plan: CheckpointPlan,
): Promise<Omit<ScaleCheckpoint, 'events' | 'sessions' | 'load'>> {
  const { sizes, client, schema } = plan;
  const random = new Random(plan.seed);

  plan.step('VACUUM (ANALYZE)');
  const vacuumMs = await timed(() =>
    client.query(`VACUUM (ANALYZE) "${schema}".events, "${schema}".sessions`),
  );
  // The load leaves dirty pages (the server's buffers, then the kernel's) whose writeback,
  // gigabytes at 10M and a tenth of that at 1M, would overlap the probes of one checkpoint far
  // more than the other's. A CHECKPOINT writes and fsyncs them first: both measure a server
  // at rest.
  plan.step('CHECKPOINT');
  const checkpointMs = await timed(() => client.query('CHECKPOINT'));
  const tables = await tableSizes(client, schema);

  plan.step(`replaying the last ${sizes.recentEvents} events of random sessions`);
  const recentReplay = await replays(plan, random, sizes.recentReads, (count) => ({
    range: { direction: 'backward', limit: sizes.recentEvents },
    expected: Math.min(count, sizes.recentEvents),
  }));
  plan.step('replaying whole random sessions');
  const wholeReplay = await replays(plan, random, sizes.wholeReads, (count) => ({
    range: {},
    expected: count,
  }));

  plan.step(`${sizes.producers} producers appending onto loaded sessions`);
  collectGarbage();
  const appendExisting = await runConcurrent(plan.store, probeAppends(plan, random, 'existing'));
  plan.step(`${sizes.producers} producers appending, each append a new session`);
  collectGarbage();
  const appendNew = await runConcurrent(plan.store, probeAppends(plan, random, 'new'));

  return {
    vacuumSeconds: Math.round(vacuumMs) / 1000,
    checkpointSeconds: Math.round(checkpointMs) / 1000,
    tables,
    recentReplay,
    wholeReplay,
    appendExisting,
    appendNew,
  };
}
