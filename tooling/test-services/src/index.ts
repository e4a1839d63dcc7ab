export { type RunningPostgres, startEmbeddedPostgres } from './embedded-postgres.js';
export { type ReadyChild, startReadyChild } from './ready-child.js';
