import type { Envelope } from '@history/core';
import type { Sizes } from './sizes.js';
import type { CeilingRow } from './subject.js';
import { describeWorkload, interleavedEvents, jsonBytes, sessionEvents } from './workload.js';

/** Every envelope a run needs, generated once before any clock starts and shared by all stores. */
export interface WorkloadSet {
  ingest: Envelope[];
  ingestBytes: number;
  baselineIngest: Envelope[];
  baselineIngestBytes: number;
  ceilingRows: CeilingRow[];
  /**
   * Bulk ingest over `sizes.manySessions` sessions that already exist: `manySessions` is
   * timed (the baseline writes its first events), `manySessionsFirst` holds each
   * session's first event, appended untimed beforehand.
   */
  manySessions: Envelope[];
  manySessionsFirst: Envelope[];
  manySessionsBytes: number;
  /** `appendMany` calls of one session's next events each: an agent flushing a turn. */
  turns: Envelope[][];
  turnsBytes: number;
  /** Per producer count: each producer's events (its own session), adapter/floor and baseline. */
  producers: Map<number, Envelope[][]>;
  baselineProducers: Map<number, Envelope[][]>;
  /** Per whole-session size, the sessions streamed whole (generated on demand, like the replay sessions). */
  wholeSessions(): Map<number, Envelope[][]>;
  /**
   * The replay sessions, generated on demand (deterministic) rather than held:
   * 100,000 envelopes kept alive for the whole run would slow every garbage
   * collection, and so every figure, of every store.
   */
  replaySessions(): Envelope[][];
  /** The session the full-stream read uses: `deep` itself when it is as long. */
  fullSession: string;
  /** A throw-away session to warm each store up with. */
  warmUp: Envelope[];
  /** Bulk calls over a few throw-away sessions, for stores fast enough to warm up on them. */
  bulkWarmUp: Envelope[];
  summary: ReturnType<typeof describeWorkload>;
}

export function buildWorkloadSet(
  seed: number,
  sizes: Sizes,
  needs: { replay: boolean },
): WorkloadSet {
  const ingest = interleavedEvents(seed, 'ingest', sizes.ingestSessions, sizes.ingestEvents);
  const baselineIngest = ingest.slice(0, sizes.baselineIngestEvents);
  const seqs = new Map<string, number>();
  const ceilingRows = ingest.map((e): CeilingRow => {
    const sessionId = e.sessionId!;
    const seq = (seqs.get(sessionId) ?? 0) + 1;
    seqs.set(sessionId, seq);
    return {
      sessionId,
      seq,
      id: e.id,
      occurredAtMs: Date.parse(e.occurredAt),
      json: JSON.stringify(e),
    };
  });
  const producers = new Map<number, Envelope[][]>();
  const baselineProducers = new Map<number, Envelope[][]>();
  for (const count of sizes.producerCounts) {
    const appends = sizes.appendsPerProducer[count] ?? 0;
    const all = Array.from({ length: count }, (_, p) =>
      sessionEvents(seed, `p${count}-${p}`, appends),
    );
    producers.set(count, all);
    const baselineAppends = sizes.baselineAppendsPerProducer[count] ?? 0;
    baselineProducers.set(
      count,
      all.map((events) => events.slice(0, baselineAppends)),
    );
  }
  const manySessionsFirst: Envelope[] = [];
  const manySessions: Envelope[] = [];
  const seen = new Set<string | undefined>();
  for (const e of interleavedEvents(
    seed,
    'many',
    sizes.manySessions,
    sizes.manySessions + sizes.manySessionsEvents,
  )) {
    if (seen.has(e.sessionId)) manySessions.push(e);
    else {
      seen.add(e.sessionId);
      manySessionsFirst.push(e);
    }
  }
  // Turns rotate over as many sessions as bulk ingest uses, each session's turns in order.
  const turnSessions = Math.max(1, sizes.ingestSessions);
  const perSession = Math.ceil(sizes.turnsTotal / turnSessions);
  const turnStreams = Array.from({ length: turnSessions }, (_, n) =>
    sessionEvents(seed, `turn-${n}`, perSession),
  );
  const turns: Envelope[][] = [];
  for (let k = 0; turns.length * sizes.turnEvents < sizes.turnsTotal; k++) {
    const start = Math.floor(k / turnSessions) * sizes.turnEvents;
    turns.push(turnStreams[k % turnSessions]!.slice(start, start + sizes.turnEvents));
  }
  const wholeSessions = () =>
    new Map(
      sizes.wholeSessionSizes.map((size) => [
        size,
        Array.from({ length: sizes.wholeSessionsEach }, (_, n) =>
          sessionEvents(seed, `whole${size}-${n}`, size),
        ),
      ]),
    );
  // When the full-session stream is as long as the deep session, stream that one: no second load.
  const fullIsDeep = sizes.fullStreamEvents === sizes.deepEvents;
  const replaySessions = () =>
    !needs.replay
      ? []
      : fullIsDeep
        ? [sessionEvents(seed, 'deep', sizes.deepEvents)]
        : [
            sessionEvents(seed, 'deep', sizes.deepEvents),
            sessionEvents(seed, 'full', sizes.fullStreamEvents),
          ];
  return {
    ingest,
    ingestBytes: jsonBytes(ingest),
    baselineIngest,
    baselineIngestBytes: jsonBytes(baselineIngest),
    ceilingRows,
    manySessions,
    manySessionsFirst,
    manySessionsBytes: jsonBytes(manySessions),
    turns,
    turnsBytes: jsonBytes(turns.flat()),
    producers,
    baselineProducers,
    wholeSessions,
    replaySessions,
    fullSession: fullIsDeep ? 'deep' : 'full',
    warmUp: sessionEvents(seed, 'warm-up', 200),
    bulkWarmUp: interleavedEvents(seed, 'warm-up-bulk', 20, Math.min(3000, sizes.ingestEvents)),
    summary: describeWorkload([...ingest, ...replaySessions().flat()]),
  };
}
