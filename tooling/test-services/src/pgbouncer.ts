import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

export interface RunningPgBouncer {
  /** Connection string through PgBouncer: same database name, user and password as upstream. */
  url: string;
  /** Stops PgBouncer and removes its files. Idempotent. */
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** The PostgreSQL server behind it, as a `postgres://user[:password]@host:port/db` URL. */
  upstreamUrl: string;
  /**
   * Server connections PgBouncer keeps to upstream (`default_pool_size`). Small by default, so
   * that clients share server connections and anything that relies on a session breaks.
   */
  poolSize?: number;
}

/** Most time PgBouncer may take to accept connections. A bound on a failure, not a wait. */
const READY_WITHIN_MS = 15_000;

/**
 * Starts PgBouncer (the Debian package `pgbouncer`, which `tooling/ensure-system-packages.mjs`
 * installs) in transaction pooling mode on a free loopback port, in front of `upstreamUrl`, and
 * resolves once a query goes through it. Its ini and userlist live in a temporary directory;
 * clients authenticate with `trust`, PgBouncer logs in upstream with the URL's user and
 * password. As root it runs as the `postgres` system user (PgBouncer refuses root). It is
 * stopped by `stop()` and, failing that, when this process exits (see `WATCHDOG`).
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<RunningPgBouncer> {
  const upstream = new URL(options.upstreamUrl);
  const database = decodeURIComponent(upstream.pathname.slice(1)) || 'postgres';
  // It becomes a key of the ini's [databases] section as it is.
  if (!/^[A-Za-z0-9_]+$/.test(database)) {
    throw new Error(`startPgBouncer: unsupported database name ${JSON.stringify(database)}`);
  }
  const user = decodeURIComponent(upstream.username) || 'postgres';
  const password = decodeURIComponent(upstream.password);
  const binary = findPgBouncer();
  const dir = await mkdtemp(join(tmpdir(), 'history-pgbouncer-'));
  // Readable by the `postgres` user PgBouncer switches to.
  await chmod(dir, 0o755);
  const port = await freePort();
  const server = [
    `host=${upstream.hostname}`,
    `port=${upstream.port || '5432'}`,
    `dbname=${database}`,
    `user=${quoteValue(user)}`,
    ...(password ? [`password=${quoteValue(password)}`] : []),
  ].join(' ');
  const ini = join(dir, 'pgbouncer.ini');
  const userlist = join(dir, 'userlist.txt');
  await writeFile(
    ini,
    [
      '[databases]',
      `${database} = ${server}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'pool_mode = transaction',
      'auth_type = trust',
      `auth_file = ${userlist}`,
      `default_pool_size = ${options.poolSize ?? 4}`,
      'max_client_conn = 1000',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
  );
  // trust still needs the user listed.
  await writeFile(userlist, `"${user.replaceAll('"', '""')}" ""\n`);
  await Promise.all([chmod(ini, 0o644), chmod(userlist, 0o644)]);

  const asRoot = process.getuid?.() === 0;
  const child = spawn('sh', ['-c', WATCHDOG, binary, ...(asRoot ? ['-u', 'postgres'] : []), ini], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log = (log + chunk).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // The watchdog stops PgBouncer (SIGTERM: immediate shutdown) once its stdin closes.
      child.stdin?.end();
      await exited;
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const auth = `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}`;
  const url = `postgres://${auth}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  try {
    await untilReady(url, child, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}

/**
 * Runs `"$0" "$@"` (PgBouncer) and stops it when this script's stdin closes: when `stop()` ends
 * it, or when this process exits, however it ends (a worker killed by the test runner too), so
 * no PgBouncer outlives its tests. Exits when PgBouncer does, with its status.
 */
const WATCHDOG = `exec 3<&0
"$0" "$@" 3<&- </dev/null &
pid=$!
(read -r _ <&3; kill $pid 2>/dev/null) &
wait $pid`;

/** `pgbouncer` on PATH, or in /usr/sbin where Debian puts it (not on a non-root PATH). */
function findPgBouncer(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const file = join(dir, 'pgbouncer');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  throw new Error(
    'pgbouncer not found: install the Debian package pgbouncer (as root, `node tooling/ensure-system-packages.mjs` does it; `npm test` runs that first)',
  );
}

/** A value of a libpq-style `key=value` list, quoted when it needs to be. */
function quoteValue(value: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(value)
    ? value
    : `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Resolves once a query goes through `url`; rejects when PgBouncer exits or takes too long. */
async function untilReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (let waitMs = 10; ; waitMs = Math.min(waitMs * 2, 200)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`pgbouncer exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `pgbouncer did not accept connections within ${READY_WITHIN_MS} ms: ${(error as Error).message}; ${log()}`,
        );
      }
    } finally {
      await client.end().catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}
