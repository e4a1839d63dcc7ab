export { listFileSessions } from './list-sessions.js';
export type { FileAdapterOptions, FileHistoryStoreOptions } from './options.js';
export { createFileHistoryStore } from './store.js';
