import { channel } from 'node:diagnostics_channel';

/** What the writer reports after every batch. */
export interface BatchMetrics {
  /** The backend's name, e.g. `sqlite`. */
  store: string;
  /** Envelopes in the batch, duplicates within it included. */
  batchSize: number;
  batchBytes: number;
  /** Time spent writing the batch, retries included. */
  flushLatencyMs: number;
  /** Events still queued behind this batch. */
  queueDepth: number;
  queuedBytes: number;
  /** Events committed per second, averaged over the last few seconds. */
  eventsPerSecond: number;
  attempts: number;
  ok: boolean;
  error?: unknown;
}

/** `node:diagnostics_channel` name the writer publishes `BatchMetrics` on. */
export const BATCH_CHANNEL = 'history:batch';

export const batchChannel = channel(BATCH_CHANNEL);
