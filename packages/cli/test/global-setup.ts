import { startEmbeddedPostgres } from '@history/test-services';
import pg from 'pg';
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
    const client = new pg.Client({ connectionString: external, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (error) {
      throw new Error(`HISTORY_PG_URL is set but unusable: ${(error as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
    project.provide('pgUrl', external);
    return;
  }
  const embedded = await startEmbeddedPostgres();
  project.provide('pgUrl', embedded.url);
  return async () => {
    await embedded.stop();
  };
}
