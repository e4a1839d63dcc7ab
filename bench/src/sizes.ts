/** How much work each scenario does. Baselines are slow, so they get fewer events and compare by rate. */
export interface Sizes {
  /** Events written by the bulk-ingest scenario (adapter and ceiling). */
  ingestEvents: number;
  baselineIngestEvents: number;
  /** Sessions the ingest workload is spread over. */
  ingestSessions: number;
  /** Envelopes per `appendMany` call, and rows per ceiling batch. */
  batchSize: number;
  producers: number;
  appendsPerProducer: number;
  baselineAppendsPerProducer: number;
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
}

export const QUICK: Sizes = {
  ingestEvents: 20_000,
  baselineIngestEvents: 300,
  ingestSessions: 50,
  batchSize: 1_000,
  producers: 16,
  appendsPerProducer: 250,
  baselineAppendsPerProducer: 20,
  deepEvents: 100_000,
  fullStreamEvents: 10_000,
  pageSize: 1_000,
  pageIterations: 40,
  baselinePageIterations: 2,
  fullStreamIterations: 5,
  baselineFullStreamIterations: 2,
  checkpointSessions: 50,
  checkpointReads: 500,
};

export const FULL: Sizes = {
  ...QUICK,
  ingestEvents: 200_000,
  baselineIngestEvents: 10_000,
  ingestSessions: 500,
  appendsPerProducer: 2_000,
  baselineAppendsPerProducer: 200,
  fullStreamEvents: 100_000,
  pageIterations: 200,
  baselinePageIterations: 20,
  fullStreamIterations: 10,
  baselineFullStreamIterations: 3,
  checkpointReads: 2_000,
};

/** For the smoke test: every code path, a few hundred events. */
export const TINY: Sizes = {
  ingestEvents: 300,
  baselineIngestEvents: 100,
  ingestSessions: 5,
  batchSize: 100,
  producers: 16,
  appendsPerProducer: 5,
  baselineAppendsPerProducer: 4,
  deepEvents: 400,
  fullStreamEvents: 200,
  pageSize: 100,
  pageIterations: 3,
  baselinePageIterations: 2,
  fullStreamIterations: 2,
  baselineFullStreamIterations: 1,
  checkpointSessions: 5,
  checkpointReads: 10,
};
