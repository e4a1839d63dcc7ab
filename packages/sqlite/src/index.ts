export type { SqliteStoreOptions } from './options.js';
export { createSqliteHistoryStore } from './store.js';
export { verifySqliteStore } from './verify-sqlite-store.js';
