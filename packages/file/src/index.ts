export { listFileSessions } from './list-sessions.js';
export type { FileAdapterOptions, FileHistoryStoreOptions } from './options.js';
export { createFileHistoryStore } from './store.js';
export { verifyFileStore } from './verify-file-store.js';
