#!/usr/bin/env node
// The project's two jobs, runnable on a fresh machine with only Node.js 20 and npm:
//   npm test        -> install, lint, changeset status, build, typecheck, every test, packaging check
//   npm run bench   -> install, build, benchmark (args after `--` go to the benchmark)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const PNPM_VERSION = '10.34.9';
const root = new URL('..', import.meta.url).pathname;
const [job, ...rest] = process.argv.slice(2);

function run(cmd, args, env = {}) {
  console.error(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

// Use an installed pnpm 10; otherwise install the pinned one into .tools/ (not globally) and
// put it on PATH, so turbo and package scripts find it too.
const toolsBin = join(root, '.tools', 'node_modules', '.bin');
const hasPnpm10 = () =>
  spawnSync('pnpm', ['--version'], { encoding: 'utf8' }).stdout?.startsWith('10.') === true;
if (!hasPnpm10()) {
  process.env.PATH = `${toolsBin}:${process.env.PATH}`;
  if (!hasPnpm10()) {
    run('npm', [
      'install',
      '--prefix',
      join(root, '.tools'),
      '--no-save',
      '--no-audit',
      '--no-fund',
      `pnpm@${PNPM_VERSION}`,
    ]);
  }
}
// Native addons (better-sqlite3) compile from source: prebuild-install would otherwise try to
// download a prebuilt binary from GitHub first, and nothing may be fetched from there.
process.env.npm_config_build_from_source = 'true';
const pnpm = (...args) => run('pnpm', args);

pnpm('install', ...(process.env.CI ? ['--frozen-lockfile'] : []));

if (job === 'bench') {
  // An adapter that fails to build is reported by the benchmark as an ERROR row; the rest still run.
  const build = spawnSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@history/bench...',
      '--continue',
      '--output-logs=errors-only',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  if (build.status !== 0) console.error('\n! some packages failed to build; benchmarking the rest');
  pnpm('--filter', '@history/bench', 'run', 'bench', ...rest);
} else if (job === 'test') {
  // Programs some tests run (PgBouncer): installed from Debian when missing and allowed.
  run(process.execPath, [join(root, 'tooling', 'ensure-system-packages.mjs')]);
  pnpm('exec', 'biome', 'ci', '.');
  pnpm('exec', 'changeset', 'status');
  pnpm('exec', 'turbo', 'run', 'build', 'typecheck', 'lint', '--output-logs=errors-only');
  const packages = ['packages', 'bench', 'tooling']
    .flatMap((dir) =>
      existsSync(join(root, dir, 'package.json'))
        ? [join(root, dir)]
        : readdirSync(join(root, dir)).map((d) => join(root, dir, d)),
    )
    .filter((dir) => existsSync(join(dir, 'package.json')));
  for (const dir of packages) rmSync(join(dir, '.vitest'), { recursive: true, force: true });
  // One package at a time: their suites each use both cores and real servers.
  const testRun = spawnSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'test',
      '--concurrency=1',
      '--continue',
      '--',
      '--reporter=default',
      '--reporter=json',
      '--outputFile.json=.vitest/results.json',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  const totals = { passed: 0, failed: 0, skipped: 0, files: 0 };
  // Judge by the reports, not exit codes alone: a failed globalSetup has been seen to exit 0.
  const broken = [];
  for (const dir of packages) {
    const file = join(dir, '.vitest', 'results.json');
    const hasTests = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.test;
    if (!existsSync(file)) {
      if (hasTests) broken.push(`${dir.slice(root.length)}: no test report`);
      continue;
    }
    const r = JSON.parse(readFileSync(file, 'utf8'));
    if (!r.success || r.numTotalTests === 0) {
      broken.push(`${dir.slice(root.length)}: run failed or found no tests`);
    }
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + r.numTodoTests;
    totals.files++;
    console.error(
      `  ${dir.slice(root.length)}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`,
    );
  }
  if (testRun.status === 0 && broken.length === 0)
    run(process.execPath, [join(root, 'tooling', 'pack-check.mjs')]);
  console.log(
    `\nTests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`,
  );
  if (broken.length > 0) console.error(`✗ ${broken.join('\n✗ ')}`);
  if (testRun.status !== 0 || totals.failed > 0 || broken.length > 0) process.exit(1);
  if (totals.skipped > 0) {
    console.error('✗ skipped tests are not allowed: every suite must run');
    process.exit(1);
  }
} else {
  console.error('usage: node tooling/run.mjs test | bench [-- bench options]');
  process.exit(2);
}
