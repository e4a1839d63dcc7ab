import { checkPostgresUrl, startEmbeddedPostgres } from '@history/test-services';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

/**
 * The PostgreSQL the CLI's tests use: HISTORY_PG_URL when set (CI sets it to the machine's
 * PostgreSQL 15), else an embedded PostgreSQL 17 started here, so the tests need no server of
 * their own. The adapter's own suite tests both; here one is enough to drive the binary.
 */
export default async function setup(project: TestProject) {
  const external = process.env.HISTORY_PG_URL;
  if (external) {
    await checkPostgresUrl(external);
    project.provide('pgUrl', external);
    return;
  }
  const embedded = await startEmbeddedPostgres();
  project.provide('pgUrl', embedded.url);
  return async () => {
    await embedded.stop();
  };
}
