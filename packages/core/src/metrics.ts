import { channel } from 'node:diagnostics_channel';

/** What the writer reports after every batch. */
export interface BatchMetrics {
  kind: 'batch';
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

/** What a background purge (the `retention` option) reports when it ends. */
export interface PurgeMetrics {
  kind: 'purge';
  store: string;
  deletedEvents: number;
  sessions: number;
  /** False when the purge stopped at its limit with expired events left. */
  done: boolean;
  durationMs: number;
  ok: boolean;
  error?: unknown;
}

/** `node:diagnostics_channel` name background purges publish `PurgeMetrics` on. */
export const PURGE_CHANNEL = 'history:purge';

export const purgeChannel = channel(PURGE_CHANNEL);
