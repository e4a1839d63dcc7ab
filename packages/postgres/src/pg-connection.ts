import pg from 'pg';

/** Where the store connects: a connection string (the store owns its pool) or the caller's pool. */
export type PostgresConnection = { connectionString: string } | { pool: pg.Pool };

export interface OpenedPool {
  pool: pg.Pool;
  /** True when the store created the pool and must end it on close. */
  owned: boolean;
}

/** A pool for `connection`; `poolSize` applies only to a pool the store creates. */
export function openPool(connection: PostgresConnection, poolSize: number): OpenedPool {
  if ('pool' in connection) return { pool: connection.pool, owned: false };
  const pool = new pg.Pool({
    connectionString: connection.connectionString,
    max: poolSize,
    application_name: 'history-store',
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled it would
  // crash the process. The pool already discarded it; the next checkout connects anew.
  pool.on('error', () => {});
  return { pool, owned: true };
}

/**
 * Checks out a client for `use`. While checked out, pg-pool no longer listens for
 * the client's 'error' event, and a connection dropped between two queries would
 * otherwise crash the process; the listener here records it instead. A client that
 * failed (or that `use` discards) is destroyed rather than returned to the pool.
 */
export async function withClient<T>(
  pool: pg.Pool,
  use: (client: pg.PoolClient, discard: (error: Error) => void) => Promise<T>,
  isBroken: (error: unknown) => boolean,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await use(client, (error) => {
      broken ??= error;
    });
  } catch (error) {
    if (!broken && isBroken(error)) broken = error as Error;
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}
