export { listFileSessions } from './list-sessions.js';
export {
  DEFAULT_MAX_OPEN_FILES,
  type FileAdapterOptions,
  type FileHistoryStoreOptions,
} from './options.js';
export { LAYOUT_VERSION } from './schema.js';
export { sessionIdFromSegments, sessionSegments } from './session-path.js';
export { createFileHistoryStore } from './store.js';
