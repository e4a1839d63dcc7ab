export {
  type OptionRule,
  type OptionsSchema,
  optionRule,
  type ResolvedOptions,
  resolveAdapterOptions,
} from './adapter-options.js';
export { BatchWriter, type BatchWriterOptions } from './batch-writer.js';
export { createBackendStore } from './create-backend-store.js';
export type { Envelope } from './envelope.js';
export { BackpressureError } from './errors/backpressure-error.js';
export { ClosedError } from './errors/closed-error.js';
export { EnvelopeTooLargeError } from './errors/envelope-too-large-error.js';
export { HistoryError, type HistoryErrorCode } from './errors/history-error.js';
export { InvalidArgumentError } from './errors/invalid-argument-error.js';
export { InvalidEnvelopeError } from './errors/invalid-envelope-error.js';
export { LockedError } from './errors/locked-error.js';
export { SchemaVersionError } from './errors/schema-version-error.js';
export { StorageError } from './errors/storage-error.js';
export type { HistoryBackend, StoredCheckpoint, StoredRecord } from './history-backend.js';
export { inTimeRange, type NormalizedRange, normalizeRange } from './history-range.js';
export type {
  AppendResult,
  Checkpoint,
  CheckpointOptions,
  HistoryRange,
  HistoryRecord,
  HistoryStore,
} from './history-store.js';
export { assertSessionId, identifierProblem, MAX_IDENTIFIER_BYTES } from './identifier.js';
export { parseIsoTimestamp } from './iso-timestamp.js';
export { createMemoryHistoryStore, MemoryBackend } from './memory-store.js';
export { BATCH_CHANNEL, type BatchMetrics } from './metrics.js';
export { DEFAULT_PAGE_BYTES } from './page-bytes.js';
export { type PreparedEnvelope, type PrepareOptions, prepareEnvelope } from './prepare-envelope.js';
export {
  assertKnownOptions,
  DEFAULT_STORE_OPTIONS,
  type ResolvedStoreOptions,
  resolveStoreOptions,
  STORE_OPTION_KEYS,
  type StoreOptions,
} from './store-options.js';
export { toJson } from './to-json.js';
