import type { StoreOptions } from '@history/core';

/**
 * The common options of a store the CLI writes (import, copy's target). Batches up to 5,000
 * events: a conditional `appendMany` must fit in one, and bulk writes commit fewer, larger
 * batches. Envelopes up to 64 MiB: the CLI moves what a store holds, whatever limit the
 * application that wrote it had (core's default is 1 MiB).
 */
export const WRITER_OPTIONS: StoreOptions = {
  maxBatchSize: 5000,
  maxBatchBytes: 64 * 1024 * 1024,
  maxEnvelopeBytes: 64 * 1024 * 1024,
  maxQueuedEvents: 50_000,
  maxQueuedBytes: 256 * 1024 * 1024,
};
