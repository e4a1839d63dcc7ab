import { StorageError } from '@history/core';
import pg from 'pg';

/** Where the store connects: a connection string (the store owns its pool) or the caller's pool. */
export type PostgresConnection = { connectionString: string } | { pool: pg.Pool };

export interface OpenedPool {
  pool: pg.Pool;
  /** True when the store created the pool and must end it on close. */
  owned: boolean;
}

/**
 * A pool for `connection`; `poolSize` and `connectTimeoutMs` (0: wait forever) apply only
 * to a pool the store creates. A caller's pool keeps the caller's settings.
 */
export function openPool(
  connection: PostgresConnection,
  poolSize: number,
  connectTimeoutMs: number,
): OpenedPool {
  if ('pool' in connection) return { pool: connection.pool, owned: false };
  const pool = new pg.Pool({
    connectionString: connection.connectionString,
    max: poolSize,
    application_name: 'history-store',
    ...(connectTimeoutMs > 0 ? { Client: clientWithConnectTimeout(connectTimeoutMs) } : {}),
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled it would
  // crash the process. The pool already discarded it; the next checkout connects anew.
  pool.on('error', () => {});
  return { pool, owned: true };
}

/**
 * A connection of its own, outside `pool`: the pool's client class and settings (connect
 * timeout included), at `connectionString` when given, named `applicationName` so that it can
 * be told apart in `pg_stat_activity`. For what must hold a session: the LISTEN connection,
 * the migration lock.
 */
export function clientLike(
  pool: pg.Pool,
  applicationName: string,
  connectionString?: string,
): pg.Client {
  const Client = (pool.options.Client ?? pg.Client) as typeof pg.Client;
  // Another server: none of the pool's own server settings.
  const { host, port, database, user, password, connectionString: _, ...rest } = pool.options;
  const settings = connectionString === undefined ? pool.options : { ...rest, connectionString };
  return new Client({ ...settings, application_name: applicationName });
}

/**
 * A `pg.Client` whose connect gives up after `ms`: it destroys the socket and fails with a
 * transient `StorageError` naming the timeout. Only the connect is bounded, from the TCP
 * connect to the server's first ReadyForQuery: waiting for a free client of a full pool is
 * not (pg's `connectionTimeoutMillis` on the pool would bound that too).
 */
function clientWithConnectTimeout(ms: number): new () => pg.Client {
  return class extends pg.Client {
    override connect(
      callback?: ((error: Error) => void) | ((error: null, client: pg.Client) => void),
      // biome-ignore lint/suspicious/noExplicitAny: pg's connect is overloaded (promise or callback).
    ): any {
      if (callback === undefined) {
        return new Promise<pg.Client>((resolve, reject) => {
          this.connect((error: Error | null) => (error ? reject(error) : resolve(this)));
        });
      }
      const done = callback as (error: Error | null, client?: pg.Client) => void;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // pg then fails the connect ('Connection terminated unexpectedly'), replaced below.
        this.connection.stream.destroy();
      }, ms);
      timer.unref();
      super.connect((error: Error | null) => {
        clearTimeout(timer);
        if (error && timedOut) {
          done(
            new StorageError(
              `postgres: no connection within ${ms} ms (connectTimeoutMs, or connect_timeout in the connection string): the server did not complete the startup`,
              { cause: error, transient: true },
            ),
          );
        } else {
          done(error, this);
        }
      });
    }
  };
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
