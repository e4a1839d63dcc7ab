import type { Envelope } from '@history/core';
import type { Sizes } from './sizes.js';
import type { CeilingRow } from './subject.js';
import { describeWorkload, interleavedEvents, sessionEvents } from './workload.js';

/** Every envelope a run needs, generated once before any clock starts and shared by all stores. */
export interface WorkloadSet {
  ingest: Envelope[];
  ingestBytes: number;
  baselineIngest: Envelope[];
  baselineIngestBytes: number;
  ceilingRows: CeilingRow[];
  producers: Envelope[][];
  baselineProducers: Envelope[][];
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
  summary: ReturnType<typeof describeWorkload>;
}

const jsonBytes = (envelopes: readonly Envelope[]) =>
  envelopes.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e), 'utf8'), 0);

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
  const producers = Array.from({ length: sizes.producers }, (_, p) =>
    sessionEvents(seed, `producer-${p}`, sizes.appendsPerProducer),
  );
  const baselineProducers = producers.map((events) =>
    events.slice(0, sizes.baselineAppendsPerProducer),
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
    producers,
    baselineProducers,
    replaySessions,
    fullSession: fullIsDeep ? 'deep' : 'full',
    warmUp: sessionEvents(seed, 'warm-up', 200),
    summary: describeWorkload([...ingest, ...replaySessions().flat()]),
  };
}
