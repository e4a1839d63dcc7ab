export type { SqliteStoreOptions } from './options.js';
export { createSqliteHistoryStore } from './store.js';
