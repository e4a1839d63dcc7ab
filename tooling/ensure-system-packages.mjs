#!/usr/bin/env node
// Installs the Debian packages some tests need when their program is missing, as .ci/run
// starts the machine's PostgreSQL: on a fresh CI machine (root, apt-get) it installs them; on
// any other machine it names what to install and fails. `npm test` runs it before the tests.
//   node tooling/ensure-system-packages.mjs
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A program the tests run, the Debian package that provides it, and where beside PATH it lives. */
const NEEDED = [
  // PgBouncer in transaction mode in front of PostgreSQL (packages/postgres's pooler tests).
  { program: 'pgbouncer', debianPackage: 'pgbouncer' },
  // A primary and its streaming standby (packages/postgres's replica tests, through
  // @history/test-services/replica): initdb, pg_ctl and postgres, off PATH, and pg_basebackup
  // (postgresql-client-15, which postgresql-15 depends on).
  { program: 'initdb', debianPackage: 'postgresql-15', dirs: ['/usr/lib/postgresql/15/bin'] },
];

// Debian puts daemons in sbin, which a non-root PATH often lacks.
const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];

function onPath(program, dirs = []) {
  for (const dir of [...SEARCH, ...dirs]) {
    if (!dir) continue;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}

function run(cmd, args) {
  console.error(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function fail(message) {
  console.error(`✗ ensure-system-packages: ${message}`);
  process.exit(1);
}

const missing = NEEDED.filter((n) => !onPath(n.program, n.dirs));
if (missing.length === 0) {
  console.error(`ensure-system-packages: ${NEEDED.map((n) => n.program).join(', ')} present`);
  process.exit(0);
}
const packages = [...new Set(missing.map((n) => n.debianPackage))];
const wanted = `${missing.map((n) => n.program).join(', ')} (Debian: ${packages.join(' ')})`;
const isRoot = process.getuid?.() === 0;
if (!isRoot || !onPath('apt-get')) {
  fail(
    `the tests need ${wanted}, which is not installed, and this process cannot install it ` +
      `(${isRoot ? 'no apt-get' : 'not root'}). Install it, e.g. \`sudo apt-get install -y ${packages.join(' ')}\`, and run again.`,
  );
}
console.error(`ensure-system-packages: installing ${wanted}`);
run('apt-get', ['update']);
run('apt-get', ['install', '-y', '--no-install-recommends', ...packages]);
const still = missing.filter((n) => !onPath(n.program, n.dirs));
if (still.length > 0) {
  fail(
    `installed ${packages.join(' ')} but ${still.map((n) => n.program).join(', ')} is still not found`,
  );
}
console.error(`ensure-system-packages: installed ${packages.join(' ')}`);
