import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

/** A PostgreSQL primary and a hot standby streaming from it, both on loopback, trust auth. */
export interface ReplicatedPostgres {
  /** The primary's `postgres` database as user `postgres`. */
  primaryUrl: string;
  /** The standby's `postgres` database as user `postgres` (read-only: a hot standby). */
  replicaUrl: string;
  /** Resolves once the standby has replayed all the WAL the primary had written when called. */
  waitForReplay(timeoutMs?: number): Promise<void>;
  /** Pauses WAL replay on the standby; resolves once no further record will be replayed. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Stops the standby (fast shutdown); `startReplica` starts it again from where it was. */
  stopReplica(): Promise<void>;
  startReplica(): Promise<void>;
  /** Stops both servers and removes their data directories. Idempotent. */
  stop(): Promise<void>;
}

/** The Debian package that ships the binaries this needs. */
const DEBIAN_PACKAGE = 'postgresql-15';
const BINARIES = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup'];

/**
 * The directory holding initdb, pg_ctl, postgres and pg_basebackup: `pg_config --bindir`,
 * else the newest /usr/lib/postgresql/<version>/bin that has them all.
 */
export function findPostgresBinaries(): string {
  const complete = (dir: string) => BINARIES.every((b) => existsSync(join(dir, b)));
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (complete(dir)) return dir;
  } catch {
    // no pg_config on PATH: look in the Debian location
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const dir = join(root, version, 'bin');
    if (complete(dir)) return dir;
  }
  throw new Error(
    `PostgreSQL server binaries (${BINARIES.join(', ')}) not found: neither \`pg_config --bindir\` nor /usr/lib/postgresql/*/bin has them. Install the Debian package ${DEBIAN_PACKAGE} (apt-get install ${DEBIAN_PACKAGE}).`,
  );
}

/** PostgreSQL refuses to run as root: then it runs as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      `running as root, and there is no \`postgres\` system user to run PostgreSQL as (the Debian package ${DEBIAN_PACKAGE} creates it)`,
    );
  }
}

/** Runs `bin/name args` as the server user; rejects with its output when it fails. */
function run(
  bin: string,
  name: string,
  args: string[],
  user: ReturnType<typeof serverUser>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(bin, name), args, {
      ...user,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${name} ${args.join(' ')} failed (${code ?? signal}):\n${output}`));
    });
  });
}

/** Servers started here and still running, stopped at once if the process exits first. */
interface RunningServer {
  bin: string;
  dataDir: string;
  /** The fixture's temporary folder, removed with it. */
  root: string;
}
const running = new Set<RunningServer>();
let exitHooked = false;

/**
 * Synchronous, for `exit`, signals and a failed start: stops those of `servers` still running
 * (immediate shutdown) and removes their folders.
 */
function stopSync(servers: Iterable<RunningServer> = running): void {
  const stopping = [...servers];
  for (const server of stopping) {
    if (!running.delete(server)) continue;
    spawnSync(join(server.bin, 'pg_ctl'), ['stop', '-D', server.dataDir, '-m', 'immediate', '-w'], {
      ...serverUser(),
      stdio: 'ignore',
    });
  }
  for (const root of new Set(stopping.map((s) => s.root))) {
    rmSync(root, { recursive: true, force: true });
  }
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => stopSync());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      stopSync();
      process.removeListener(signal, onSignal);
      // Nobody else handles it: die of it as the process would have without this handler.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

async function query<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Polls `check` with a short backoff until it is true; fails after `timeoutMs` naming `what`. */
async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  for (let waitMs = 1; !(await check()); waitMs = Math.min(waitMs * 2, 50)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

/**
 * Starts a throw-away PostgreSQL primary and a streaming hot standby made from it with
 * `pg_basebackup -R`, from the system's server binaries (`findPostgresBinaries`), each on a
 * free loopback port in a temporary folder, trust authentication (replication included),
 * `wal_level = replica`, `hot_standby_feedback = on` (so standby queries are not cancelled by
 * the primary's vacuum). As root, the servers run as the `postgres` system user. Both are
 * stopped and their folders removed by `stop()`, or when the process exits first.
 */
export async function startReplicatedPostgres(): Promise<ReplicatedPostgres> {
  const bin = findPostgresBinaries();
  const user = serverUser();
  const root = await mkdtemp(join(tmpdir(), 'history-replica-'));
  const primaryDir = join(root, 'primary');
  const replicaDir = join(root, 'replica');
  const primaryPort = await freePort();
  let replicaPort = await freePort();
  while (replicaPort === primaryPort) replicaPort = await freePort();
  hookExit();
  const primary: RunningServer = { bin, dataDir: primaryDir, root };
  const replica: RunningServer = { bin, dataDir: replicaDir, root };
  const pgCtl = (dataDir: string, ...args: string[]) =>
    run(bin, 'pg_ctl', [...args, '-D', dataDir, '-w', '-t', '120'], user);
  const start = async (server: RunningServer, port: number, name: string) => {
    running.add(server);
    await pgCtl(server.dataDir, 'start', '-l', join(root, `${name}.log`), '-o', `-p ${port}`);
  };
  const stopServer = async (server: RunningServer) => {
    if (!running.has(server)) return;
    await pgCtl(server.dataDir, 'stop', '-m', 'fast');
    running.delete(server);
  };
  try {
    await chmod(root, 0o700);
    if (user) await chown(root, user.uid, user.gid);
    await run(
      bin,
      'initdb',
      ['-D', primaryDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C'],
      user,
    );
    await appendFile(
      join(primaryDir, 'postgresql.conf'),
      [
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${root}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'hot_standby = on',
        'hot_standby_feedback = on',
        'max_connections = 100',
        // Throw-away servers: no flush to disk on this shared machine.
        'fsync = off',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(primaryDir, 'pg_hba.conf'),
      [
        'local all all trust',
        'host all all 127.0.0.1/32 trust',
        'host replication all 127.0.0.1/32 trust',
        '',
      ].join('\n'),
    );
    await start(primary, primaryPort, 'primary');
    await run(
      bin,
      'pg_basebackup',
      [
        ...['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres'],
        ...['-D', replicaDir, '-R', '-X', 'stream', '--checkpoint=fast'],
      ],
      user,
    );
    await start(replica, replicaPort, 'replica');
  } catch (error) {
    stopSync([primary, replica]);
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const primaryUrl = `postgres://postgres@127.0.0.1:${primaryPort}/postgres`;
  const replicaUrl = `postgres://postgres@127.0.0.1:${replicaPort}/postgres`;
  let stopped = false;
  return {
    primaryUrl,
    replicaUrl,
    async waitForReplay(timeoutMs = 30_000) {
      // The insert position: at or after every commit acknowledged so far, asynchronous ones too.
      const [row] = await query<{ lsn: string }>(
        primaryUrl,
        'SELECT pg_current_wal_insert_lsn()::text AS lsn',
      );
      const lsn = row!.lsn;
      await until(
        async () =>
          (
            await query<{ done: boolean }>(
              replicaUrl,
              'SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done',
              [lsn],
            )
          )[0]!.done,
        timeoutMs,
        `the standby replaying up to ${lsn}`,
      );
    },
    async pauseReplay() {
      await query(replicaUrl, 'SELECT pg_wal_replay_pause()');
      // 'pause requested' until the startup process reaches its next record: give it one.
      await query(primaryUrl, 'SELECT pg_current_xact_id()');
      await until(
        async () =>
          (
            await query<{ state: string }>(
              replicaUrl,
              'SELECT pg_get_wal_replay_pause_state() AS state',
            )
          )[0]!.state === 'paused',
        30_000,
        'the standby pausing its replay',
      );
    },
    async resumeReplay() {
      await query(replicaUrl, 'SELECT pg_wal_replay_resume()');
    },
    stopReplica: () => stopServer(replica),
    startReplica: () => start(replica, replicaPort, 'replica'),
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer(replica);
      await stopServer(primary);
      await rm(root, { recursive: true, force: true });
    },
  };
}
