#!/usr/bin/env node
// Packaging check: each publishable package is packed, installed alone (with only its declared
// dependencies; sibling @history packages from their own tarballs) into an empty project outside
// the workspace, and its package-smoke.mjs is run there. Proves a consumer can install just it.
// In the same project a strict TypeScript consumer (tooling/pack-consumers/<name>.ts) is
// type-checked with module resolution nodenext and bundler, so every type the published .d.ts
// files mention must resolve from what the package installs; and attw checks each tarball's types.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'history-pack-'));
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

const publishable = readdirSync(join(root, 'packages'))
  .map((d) => join(root, 'packages', d))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.manifest.private);
// Optional arguments restrict the check to some packages, e.g. `pack-check.mjs core sqlite`.
const packages = publishable.filter(
  (p) =>
    process.argv.length <= 2 ||
    process.argv.slice(2).some((n) => p.manifest.name === `@history/${n}`),
);
// Optional peers a package is smoke-tested with, installed beside it as a user would: the CLI
// with one adapter (its package-smoke.mjs runs `history stats` on a file store).
const companions = { '@history/cli': ['@history/file'] };
// Those packages, the @history packages they depend on and their companions, which install
// from their tarballs.
const needed = new Set(
  packages.flatMap((p) => [
    p.manifest.name,
    ...Object.keys(p.manifest.dependencies ?? {}),
    ...(companions[p.manifest.name] ?? []),
  ]),
);

const tarballOf = new Map();
for (const { dir, manifest } of publishable.filter((p) => needed.has(p.manifest.name))) {
  const out = execFileSync('pnpm', ['pack', '--pack-destination', tarballs], {
    cwd: dir,
    encoding: 'utf8',
  });
  tarballOf.set(manifest.name, out.trim().split('\n').at(-1));
}

const requireFromRoot = createRequire(join(root, 'package.json'));
const attwBin = join(
  requireFromRoot.resolve('@arethetypeswrong/cli/package.json'),
  '..',
  requireFromRoot('@arethetypeswrong/cli/package.json').bin.attw,
);
// The packages are ESM only: problems that only TypeScript's CommonJS resolutions see (node10 and
// node16 from CJS, e.g. CJSResolvesToESM, "require() resolves to an ES module") concern consumers
// these packages do not support; the esm-only profile ignores those two resolutions and nothing
// else. --no-definitely-typed: the packages ship their own types; never ask the registry for @types.
const attwIgnored = ['node10', 'node16-cjs'];
async function attw(name) {
  const args = ['--profile', 'esm-only', '--no-definitely-typed', '--format', 'json'];
  try {
    await promisify(execFile)(process.execPath, [attwBin, ...args, tarballOf.get(name)], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return [];
  } catch (error) {
    let problems;
    try {
      problems = JSON.parse(error.stdout).analysis.problems;
    } catch {
      return [`${name}: attw failed: ${error.stderr || error.message}`];
    }
    return problems
      .filter((p) => !attwIgnored.includes(p.resolutionKind))
      .map(
        (p) =>
          `${name}: attw ${p.kind}${p.entrypoint ? ` at "${p.entrypoint}"` : ''}${p.resolutionKind ? ` (${p.resolutionKind})` : ''}`,
      );
  }
}
// attw needs only the tarballs: run it (one at a time) while the packages install and smoke-test.
const attwDone = (async () => {
  const found = [];
  for (const { manifest } of packages) found.push(...(await attw(manifest.name)));
  return found;
})();

const ts = requireFromRoot('typescript');
const consumers = join(root, 'tooling', 'pack-consumers');
const consumerConfigs = { nodenext: 'tsconfig.json', bundler: 'tsconfig.bundler.json' };
// Parsed declarations of TypeScript's libs and the workspace's @types/node, per config: every
// project compiled with the same options reuses them instead of parsing and binding them again.
const sharedSourceFiles = new Map(Object.keys(consumerConfigs).map((mode) => [mode, new Map()]));
const ours = (fileName) =>
  !fileName.includes('/node_modules/') || fileName.includes('/node_modules/@history/');

// Type-checks the project's consumer.ts as `mode`; returns the errors in the consumer and in the
// installed @history packages' declarations (including imports they cannot resolve). Other
// packages' declarations (node, pg, zod, vitest) are loaded but not checked: their problems are
// not ours, and checking @types/node alone would cost over a second per project.
function typeCheck(project, mode) {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(project, consumerConfigs[mode]),
    undefined,
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  const host = ts.createCompilerHost(parsed.options);
  const parse = host.getSourceFile;
  const shared = sharedSourceFiles.get(mode);
  host.getSourceFile = (fileName, version, ...rest) => {
    // Files in the temporary projects are each project's own; the workspace's are the same for all.
    if (!fileName.startsWith(root)) return parse(fileName, version, ...rest);
    const key = `${fileName}:${version?.impliedNodeFormat}`;
    if (!shared.has(key)) shared.set(key, parse(fileName, version, ...rest));
    return shared.get(key);
  };
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    host,
    configFileParsingDiagnostics: parsed.errors,
  });
  const diagnostics = [
    ...program.getConfigFileParsingDiagnostics(),
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program
      .getSourceFiles()
      .filter((f) => ours(f.fileName))
      .flatMap((f) => [
        ...program.getSyntacticDiagnostics(f),
        ...program.getSemanticDiagnostics(f),
      ]),
  ];
  return ts
    .formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => project,
      getNewLine: () => '\n',
    })
    .trim();
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
    const siblings = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...(companions[manifest.name] ?? []),
    ].filter((d) => tarballOf.has(d));
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
        // better-sqlite3 compiles here rather than fetch a prebuilt binary from GitHub.
        env: { ...process.env, npm_config_build_from_source: 'true' },
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

    const consumer = join(consumers, `${manifest.name.replace('@history/', '')}.ts`);
    if (!existsSync(consumer)) {
      failures.push(`${manifest.name}: no TypeScript consumer ${consumer.slice(root.length)}`);
      continue;
    }
    copyFileSync(consumer, join(project, 'consumer.ts'));
    for (const config of Object.values(consumerConfigs))
      copyFileSync(join(consumers, config), join(project, config));
    // A TypeScript project on Node has @types/node (core's declarations mention
    // node:diagnostics_channel): the workspace's, unless the package brought its own.
    const nodeTypes = join(project, 'node_modules', '@types', 'node');
    if (!existsSync(nodeTypes)) {
      mkdirSync(join(nodeTypes, '..'), { recursive: true });
      symlinkSync(realpathSync(join(root, 'node_modules', '@types', 'node')), nodeTypes);
    }
    for (const mode of Object.keys(consumerConfigs)) {
      const errors = typeCheck(project, mode);
      if (errors)
        failures.push(
          `${manifest.name}: its TypeScript consumer does not compile (${mode}):\n    ${errors.replaceAll('\n', '\n    ')}`,
        );
      else console.error(`[pack-check] ${manifest.name}: TypeScript consumer compiles (${mode})`);
    }
  }
  failures.push(...(await attwDone));
} finally {
  await embedded?.stop();
  rmSync(work, { recursive: true, force: true });
}
if (failures.length > 0) {
  console.error(`\n✗ packaging check failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.error(
  `\n✓ packaging check: ${packages.length} packages installed alone, smoke-tested, compiled by a strict TypeScript consumer and passed attw`,
);
