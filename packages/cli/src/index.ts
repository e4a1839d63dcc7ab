// The `history` command is the package's bin; these are its building blocks for scripts.
export { EXIT, type ExitCode } from './exit-codes.js';
export { main } from './main.js';
export { type OpenedStore, type OpenMode, type OpenStoreOptions, openStore } from './open-store.js';
export { parseStoreUrl, type StoreLocation } from './store-url.js';
