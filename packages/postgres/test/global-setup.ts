import { checkPostgresUrl, startEmbeddedPostgres } from '@history/test-services';
import type { TestProject } from 'vitest/node';

export interface PgTarget {
  name: string;
  url: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgTargets: PgTarget[];
  }
}

/**
 * Every test runs against the embedded PostgreSQL (always started here) and,
 * when HISTORY_PG_URL is set, against that server too. CI must test both, so
 * there a missing HISTORY_PG_URL is an error rather than a silent skip.
 */
export default async function setup(project: TestProject) {
  const external = process.env.HISTORY_PG_URL;
  if (process.env.CI && !external) {
    throw new Error(
      'CI is set but HISTORY_PG_URL is not: refusing to test only the embedded PostgreSQL',
    );
  }
  if (external) {
    await checkPostgresUrl(external);
  }
  const embedded = await startEmbeddedPostgres();
  const targets: PgTarget[] = [{ name: 'embedded', url: embedded.url }];
  if (external) targets.push({ name: 'HISTORY_PG_URL', url: external });
  project.provide('pgTargets', targets);
  return async () => {
    await embedded.stop();
  };
}
