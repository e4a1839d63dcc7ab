import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The naming convention of test files in packages/<package>/test (the root README, "Testing"):
 *
 *   <name>.test.ts          needs nothing outside the process but the file system
 *   <name>.pg.test.ts       needs a PostgreSQL server
 *   <name>.process.test.ts  spawns child processes
 *   <name>.pg.process.test.ts  both
 *
 * This reads every test file, and the local helpers it imports, and fails when a name says less
 * (or more) than the file needs. A text scan of imports, not a type check: a file needs
 * PostgreSQL when it imports `pg`, `@history/test-services` or its `/pgbouncer` or `/replica`
 * (not `import type`) or reads the
 * PostgreSQL URL variable; it spawns processes when it imports the child-process or cluster
 * module, or `@history/test-services/ready-child`. Helpers are followed through relative imports that stay inside the test folder (not
 * into ../src, whose driver imports say nothing about what a test needs).
 */

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));
/** This file names every signal it looks for, so it does not scan itself. */
const self = fileURLToPath(import.meta.url);

interface Needs {
  pg: boolean;
  process: boolean;
}

interface Import {
  specifier: string;
  typeOnly: boolean;
}

function importsOf(source: string): Import[] {
  const found: Import[] = [];
  for (const m of source.matchAll(
    /^\s*(?:import|export)\s+(type\s+)?[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  ))
    found.push({ specifier: m[2]!, typeOnly: m[1] !== undefined });
  // Side-effect imports, dynamic imports and require calls.
  for (const m of source.matchAll(
    /(?:^\s*import\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/gm,
  ))
    found.push({ specifier: m[1]!, typeOnly: false });
  return found;
}

const PG_MODULES = new Set([
  'pg',
  'pg-copy-streams',
  '@history/test-services',
  '@history/test-services/pgbouncer',
  '@history/test-services/replica',
]);
const PROCESS_MODULES = new Set([
  'child_process',
  'node:child_process',
  'cluster',
  'node:cluster',
  '@history/test-services/ready-child',
]);

/** What one file needs by itself, and the files of `testDir` it imports. */
function scan(file: string, testDir: string): { needs: Needs; helpers: string[] } {
  const source = readFileSync(file, 'utf8');
  const imports = importsOf(source).filter((i) => !i.typeOnly);
  const helpers = imports
    .filter((i) => i.specifier.startsWith('.'))
    .map((i) => resolve(dirname(file), i.specifier.replace(/\.(m?)js$/, '.$1ts')))
    .filter((path) => path.startsWith(testDir + sep) && existsSync(path));
  return {
    needs: {
      pg: imports.some((i) => PG_MODULES.has(i.specifier)) || /\bHISTORY_PG_URL\b/.test(source),
      process: imports.some((i) => PROCESS_MODULES.has(i.specifier)),
    },
    helpers,
  };
}

/** What a test file needs, through its local helpers too. */
function needsOf(file: string, testDir = testDirOf(file), seen = new Set<string>()): Needs {
  seen.add(file);
  const { needs, helpers } = scan(file, testDir);
  for (const helper of helpers) {
    if (seen.has(helper)) continue;
    const more = needsOf(helper, testDir, seen);
    needs.pg ||= more.pg;
    needs.process ||= more.process;
  }
  return needs;
}

/** packages/<package>/test, for a file in it or below it. */
function testDirOf(file: string): string {
  const [pkg] = relative(packagesDir, file).split(sep);
  return join(packagesDir, pkg!, 'test');
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return /\.test\.[cm]?[jt]s$/.test(entry.name) && path !== self ? [path] : [];
  });
}

const files = readdirSync(packagesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(packagesDir, entry.name, 'test')))
  .flatMap((entry) => testFiles(join(packagesDir, entry.name, 'test')));

/** The name `file` should have for what it needs. */
function expectedName(file: string, needs: Needs): string {
  const [, stem, ext] = /^(.*?)(?:\.pg|\.process)*\.test(\.[cm]?[jt]s)$/.exec(basename(file))!;
  return `${stem}${needs.pg ? '.pg' : ''}${needs.process ? '.process' : ''}.test${ext}`;
}

describe('test file names say what a test needs', () => {
  it('.pg. for PostgreSQL, .process. for child processes, and nothing a file does not need', () => {
    const wrong = files.flatMap((file) => {
      const expected = expectedName(file, needsOf(file));
      return basename(file) === expected
        ? []
        : [`${relative(join(packagesDir, '..'), file)} should be named ${expected}`];
    });
    expect(wrong).toEqual([]);
  });

  it('finds test files that need PostgreSQL, child processes and neither (the scan is not vacuous)', () => {
    const needs = files.map((file) => needsOf(file));
    expect(needs.some((n) => n.pg)).toBe(true);
    expect(needs.some((n) => n.process)).toBe(true);
    expect(needs.some((n) => !n.pg && !n.process)).toBe(true);
  });
});
