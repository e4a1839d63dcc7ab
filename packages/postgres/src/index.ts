export { type MigrateOptions, type MigrateResult, migrate } from './migrate.js';
export type { PostgresAdapterOptions, PostgresHistoryStoreOptions } from './options.js';
export type { PostgresConnection } from './pg-connection.js';
export { REPLICA_CHANNEL, type ReplicaReadMetrics } from './replica-channel.js';
export type {
  PostgresReplicaOptions,
  ReplicaConsistency,
  ReplicaRead,
} from './replica-options.js';
export { createPostgresHistoryStore } from './store.js';
export { verifyPostgresStore } from './verify-postgres-store.js';
