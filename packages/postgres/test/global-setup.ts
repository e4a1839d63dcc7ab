import { startEmbeddedPostgres } from '@history/test-services';
import pg from 'pg';
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
    // Unreachable is a failure, not a reason to test less.
    const client = new pg.Client({ connectionString: external, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (error) {
      throw new Error(`HISTORY_PG_URL is set but unusable: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  const embedded = await startEmbeddedPostgres();
  const targets: PgTarget[] = [{ name: 'embedded', url: embedded.url }];
  if (external) targets.push({ name: 'HISTORY_PG_URL', url: external });
  project.provide('pgTargets', targets);
  return async () => {
    await embedded.stop();
  };
}
