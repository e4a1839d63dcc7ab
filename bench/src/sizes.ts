/** How much work each scenario does. Baselines are slow, so they get fewer events and compare by rate. */
export interface Sizes {
  /** Events written by the bulk-ingest scenario (adapter and ceiling). */
  ingestEvents: number;
  baselineIngestEvents: number;
  /** Sessions the ingest workload is spread over. */
  ingestSessions: number;
  /** Envelopes per `appendMany` call, and rows per ceiling batch. */
  batchSize: number;
  /** Bulk ingest over many sessions: sessions and events (the baseline gets `baselineIngestEvents`). */
  manySessions: number;
  manySessionsEvents: number;
  /** `appendMany` calls of one session's next `turnEvents` events, `turnEvents` in all. */
  turnEvents: number;
  turnsTotal: number;
  /** Producer counts of the concurrent scenario; each producer is its own session. */
  producerCounts: number[];
  /** Appends per producer, per producer count (adapter and floor), and for the baseline. */
  appendsPerProducer: Record<number, number>;
  baselineAppendsPerProducer: Record<number, number>;
  /** Whole-session replay: session sizes, sessions of each size, timed reads of each size. */
  wholeSessionSizes: number[];
  wholeSessionsEach: number;
  wholeSessionReads: number;
  baselineWholeSessionReads: number;
  /** Size of the session `after` jumps deep into. */
  deepEvents: number;
  /** Size of the session streamed whole. */
  fullStreamEvents: number;
  pageSize: number;
  pageIterations: number;
  baselinePageIterations: number;
  fullStreamIterations: number;
  baselineFullStreamIterations: number;
  checkpointSessions: number;
  checkpointReads: number;
  /**
   * Lifecycle, purge: expired events loaded then purged (0: not run), spread over
   * `purgeSessions` sessions, each also holding `purgeLiveEventsPerSession` live events.
   */
  purgeExpiredEvents: number;
  purgeSessions: number;
  purgeLiveEventsPerSession: number;
  /**
   * Producers appending while the purge runs, and the timed appends each makes idle, for at
   * least `purgeIdleSeconds`: the idle p99 must span the appends' own periodic costs (WAL
   * checkpoints, garbage collection) as the purge's many seconds do.
   */
  purgeProducers: number;
  purgeIdleAppends: number;
  purgeIdleSeconds: number;
  /** Lifecycle, listing: sessions `listSessions` pages through (0: not run), and timed passes. */
  listSessions: number;
  listSessionPasses: number;
  /** Follow: single appends, one at a time, whose delivery to followers is timed. */
  deliveryAppends: number;
  /** Follow: events the feed and whole-session streams read back, over this many sessions. */
  catchUpEvents: number;
  catchUpSessions: number;
}

export const QUICK: Sizes = {
  ingestEvents: 20_000,
  baselineIngestEvents: 300,
  ingestSessions: 50,
  batchSize: 1_000,
  manySessions: 5_000,
  manySessionsEvents: 20_000,
  turnEvents: 100,
  turnsTotal: 20_000,
  producerCounts: [16, 256],
  // About 10,000 appends at either P: at 16 x 250 a run lasted about 0.1 s on SQLite and
  // one scheduling hiccup moved its ratio by 0.3x.
  appendsPerProducer: { 16: 640, 256: 40 },
  // As many as the adapter: shorter runs would miss the previous store's periodic costs
  // (its SQLite WAL checkpoints every 1,000 pages) and flatter it.
  baselineAppendsPerProducer: { 16: 640, 256: 40 },
  wholeSessionSizes: [100, 1_000],
  wholeSessionsEach: 10,
  wholeSessionReads: 220,
  baselineWholeSessionReads: 220,
  deepEvents: 100_000,
  fullStreamEvents: 10_000,
  pageSize: 1_000,
  pageIterations: 40,
  baselinePageIterations: 2,
  // The same number of samples on both sides: a p95 of two samples is their maximum.
  fullStreamIterations: 10,
  baselineFullStreamIterations: 10,
  checkpointSessions: 50,
  checkpointReads: 500,
  // Lifecycle is `--full` only: a million-event purge does not fit the quick run's 3 minutes,
  // and a small one would not show whether a purge stalls writers.
  purgeExpiredEvents: 0,
  purgeSessions: 1_000,
  purgeLiveEventsPerSession: 4,
  purgeProducers: 4,
  purgeIdleAppends: 2_500,
  purgeIdleSeconds: 10,
  listSessions: 0,
  // One pass is 1,000 pages at full size: enough samples for a p95, and the memory store
  // (which sorts every session per page) takes minutes for more.
  listSessionPasses: 1,
  deliveryAppends: 400,
  catchUpEvents: 100_000,
  catchUpSessions: 100,
};

export const FULL: Sizes = {
  ...QUICK,
  ingestEvents: 200_000,
  baselineIngestEvents: 10_000,
  ingestSessions: 500,
  manySessionsEvents: 100_000,
  turnsTotal: 100_000,
  appendsPerProducer: { 16: 2_000, 256: 200 },
  baselineAppendsPerProducer: { 16: 2_000, 256: 200 },
  wholeSessionsEach: 50,
  wholeSessionReads: 1_000,
  baselineWholeSessionReads: 400,
  fullStreamEvents: 100_000,
  pageIterations: 200,
  baselinePageIterations: 20,
  fullStreamIterations: 10,
  baselineFullStreamIterations: 10,
  checkpointReads: 2_000,
  purgeExpiredEvents: 1_000_000,
  listSessions: 100_000,
  deliveryAppends: 2_000,
};

/** For the smoke test: every code path, a few hundred events. */
export const TINY: Sizes = {
  ingestEvents: 300,
  baselineIngestEvents: 100,
  ingestSessions: 5,
  batchSize: 100,
  manySessions: 50,
  manySessionsEvents: 200,
  turnEvents: 20,
  turnsTotal: 200,
  producerCounts: [4, 16],
  appendsPerProducer: { 4: 8, 16: 4 },
  baselineAppendsPerProducer: { 4: 4, 16: 4 },
  wholeSessionSizes: [10, 50],
  wholeSessionsEach: 2,
  wholeSessionReads: 4,
  baselineWholeSessionReads: 4,
  deepEvents: 400,
  fullStreamEvents: 200,
  pageSize: 100,
  pageIterations: 3,
  baselinePageIterations: 2,
  fullStreamIterations: 2,
  baselineFullStreamIterations: 1,
  checkpointSessions: 5,
  checkpointReads: 10,
  purgeExpiredEvents: 300,
  purgeSessions: 5,
  purgeLiveEventsPerSession: 2,
  purgeProducers: 2,
  purgeIdleAppends: 5,
  purgeIdleSeconds: 0,
  listSessions: 250,
  listSessionPasses: 1,
  deliveryAppends: 10,
  catchUpEvents: 500,
  catchUpSessions: 5,
};

/** Whether these sizes ask for the lifecycle scenario (purge, listSessions) at all. */
export function hasLifecycle(sizes: Sizes): boolean {
  return sizes.purgeExpiredEvents > 0 || sizes.listSessions > 0;
}
