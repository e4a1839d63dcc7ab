import pg from 'pg';

/**
 * Connects to `url` (HISTORY_PG_URL) and runs `SELECT 1`, or throws naming the variable: a set
 * but unreachable server is a failure, not a reason to test less.
 */
export async function checkPostgresUrl(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(`HISTORY_PG_URL is set but unusable: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}
