export { type RunningPostgres, startEmbeddedPostgres } from './embedded-postgres.js';
