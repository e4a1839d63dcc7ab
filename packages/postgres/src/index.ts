export { type MigrateOptions, type MigrateResult, migrate } from './migrate.js';
export type { PostgresAdapterOptions, PostgresHistoryStoreOptions } from './options.js';
export type { PostgresConnection } from './pg-connection.js';
export { createPostgresHistoryStore } from './store.js';
