// The embedded PostgreSQL; the process-test starter is `@history/test-services/ready-child`
// (a test file's name says which of the two it needs: see test-file-names.test.ts).

export { checkPostgresUrl } from './check-postgres-url.js';
export { type RunningPostgres, startEmbeddedPostgres } from './embedded-postgres.js';
