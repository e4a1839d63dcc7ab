export { loadMigrations, type Migration, migrate } from './migrate.js';
export type { SqliteStoreOptions } from './options.js';
export { pageSql, SQL } from './schema.js';
export { createSqliteHistoryStore } from './store.js';
