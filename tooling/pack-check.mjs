#!/usr/bin/env node
// Packaging check: each publishable package is packed, installed alone (with only its declared
// dependencies; sibling @history packages from their own tarballs) into an empty project outside
// the workspace, and its package-smoke.mjs is run there. Proves a consumer can install just it.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'history-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

const packages = readdirSync(join(root, 'packages'))
  .map((d) => join(root, 'packages', d))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.manifest.private)
  // Optional arguments restrict the check to some packages, e.g. `pack-check.mjs core sqlite`.
  .filter(
    (p) =>
      process.argv.length <= 2 ||
      process.argv.slice(2).some((n) => p.manifest.name === `@history/${n}`),
  );

const tarballOf = new Map();
for (const { dir, manifest } of packages) {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', tarballs], {
    cwd: dir,
    encoding: 'utf8',
  });
  tarballOf.set(manifest.name, out.trim().split('\n').at(-1));
}

let pgUrl = process.env.HISTORY_PG_URL;
let embedded;
const failures = [];
try {
  for (const { dir, manifest } of packages) {
    const smoke = join(dir, 'package-smoke.mjs');
    if (!existsSync(smoke)) {
      failures.push(`${manifest.name}: no package-smoke.mjs`);
      continue;
    }
    if (manifest.name === '@history/postgres' && !pgUrl) {
      const { startEmbeddedPostgres } = await import(
        join(root, 'tooling/test-services/dist/index.js')
      );
      embedded = await startEmbeddedPostgres();
      pgUrl = embedded.url;
    }
    const project = join(work, manifest.name.replace('/', '__'));
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const siblings = Object.keys(manifest.dependencies ?? {}).filter((d) => tarballOf.has(d));
    const install = [tarballOf.get(manifest.name), ...siblings.map((d) => tarballOf.get(d))];
    console.error(
      `\n[pack-check] ${manifest.name}: npm install ${install.map((t) => t.split('/').at(-1)).join(' ')}`,
    );
    const npm = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...install],
      {
        cwd: project,
        stdio: 'inherit',
      },
    );
    if (npm.status !== 0) {
      failures.push(`${manifest.name}: npm install failed`);
      continue;
    }
    copyFileSync(smoke, join(project, 'package-smoke.mjs'));
    const ran = spawnSync(process.execPath, ['package-smoke.mjs'], {
      cwd: project,
      stdio: 'inherit',
      env: { ...process.env, HISTORY_PG_URL: pgUrl ?? '' },
      timeout: 120_000,
    });
    if (ran.status !== 0)
      failures.push(
        `${manifest.name}: package-smoke.mjs failed (exit ${ran.status ?? ran.signal})`,
      );
    else console.error(`[pack-check] ${manifest.name}: installed alone and smoke-tested`);
  }
} finally {
  await embedded?.stop();
  rmSync(work, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`\n✗ packaging check failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.error(`\n✓ packaging check: ${packages.length} packages installed alone and smoke-tested`);
