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
