// `@history/core/backend`: what an adapter author needs to build a store on a backend.
export {
  type OptionRule,
  type OptionsSchema,
  optionRule,
  type ResolvedOptions,
  resolveAdapterOptions,
} from './adapter-options.js';
export { createBackendStore } from './create-backend-store.js';
export { DuplicateIds } from './duplicate-ids.js';
export type {
  BatchCondition,
  BatchConflict,
  FeedPage,
  FeedPageRequest,
  HistoryBackend,
  PurgeRequest,
  SessionPageRequest,
  StoredCheckpoint,
  StoredFeedEntry,
  StoredRecord,
  StoredSession,
  WriteOutcome,
} from './history-backend.js';
export { inTimeRange, type NormalizedRange, normalizeRange } from './history-range.js';
export { idHash } from './id-hash.js';
export { inspectStoredEnvelope, type StoredEnvelopeCheck } from './inspect-stored-envelope.js';
export { IntegrityCollector, PROGRESS_EVERY } from './integrity-collector.js';
export { LOOP_BUDGET_MS, yieldIfDue } from './loop-budget.js';
/** The reference backend: the contract in its simplest executable form. */
export { MemoryBackend } from './memory-store.js';
export { DEFAULT_PAGE_BYTES } from './page-bytes.js';
export { partitionPoint } from './partition-point.js';
export { type PreparedEnvelope, type PrepareOptions, prepareEnvelope } from './prepare-envelope.js';
export {
  DEFAULT_STORE_OPTIONS,
  type ResolvedStoreOptions,
  resolveStoreOptions,
} from './store-options.js';
export {
  DEFAULT_MAX_PROBLEMS,
  type ResolvedVerifyOptions,
  resolveVerifyOptions,
} from './verify-options.js';
