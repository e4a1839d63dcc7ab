// What users of a store need. Adapter authors import `@history/core/backend`.
export type { Envelope } from './envelope.js';
export { BackpressureError } from './errors/backpressure-error.js';
export { ClosedError } from './errors/closed-error.js';
export { ConflictError } from './errors/conflict-error.js';
export { EnvelopeTooLargeError } from './errors/envelope-too-large-error.js';
export { HistoryError, type HistoryErrorCode } from './errors/history-error.js';
export { InvalidArgumentError } from './errors/invalid-argument-error.js';
export { InvalidEnvelopeError } from './errors/invalid-envelope-error.js';
export { LockedError } from './errors/locked-error.js';
export { ReadOnlyError } from './errors/read-only-error.js';
export { SchemaVersionError } from './errors/schema-version-error.js';
export { StorageError, type StorageErrorOptions } from './errors/storage-error.js';
export type {
  AppendOptions,
  AppendResult,
  Checkpoint,
  CheckpointOptions,
  DeleteSessionResult,
  FeedEntry,
  FeedOptions,
  HistoryRange,
  HistoryRecord,
  HistoryStore,
  ListSessionsOptions,
  PurgeOptions,
  PurgeResult,
  SessionInfo,
  StreamOptions,
} from './history-store.js';
export type {
  IntegrityProblem,
  IntegrityProblemKind,
  IntegrityReport,
  VerifyOptions,
} from './integrity-report.js';
export { createMemoryHistoryStore } from './memory-store.js';
export {
  BATCH_CHANNEL,
  type BatchMetrics,
  PURGE_CHANNEL,
  type PurgeMetrics,
} from './metrics.js';
export type { RetentionOptions, StoreOptions } from './store-options.js';
