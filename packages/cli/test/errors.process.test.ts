import { cpSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { history, ok } from './cli.js';
import { agentEvents, jsonl } from './events.js';
import { tempDir } from './temp-dir.js';

const dir = tempDir();
afterAll(() => dir.remove());
const at = (name: string) => join(dir.path, name);

/** A failure: the exit code, and exactly one line on stderr, `history: ` and the message. */
async function fails(args: string[], code: number, message: RegExp, input?: string) {
  const r = await history(args, input === undefined ? {} : { input });
  expect(r.stderr).toMatch(/^history: [^\n]+\n$/);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(code);
  return r;
}

describe('bad store URLs and arguments: one line, exit code 2', () => {
  it.each([
    [
      ['sessions', '--store', 'history.db'],
      /"history\.db" has no scheme: .*did you mean sqlite:\.\/history\.db\?/,
    ],
    [['sessions', '--store', './some/dir'], /has no scheme: .*file:\.\/some\/dir/],
    [['sessions', '--store', 'mysql://localhost/db'], /unknown store scheme "mysql:"/],
    [
      ['sessions', '--store', 'sqlite://server/history.db'],
      /sqlite: URLs name a local path .*not a host \("server"\)/,
    ],
    [['sessions', '--store', 'file:'], /file: needs a path/],
    [
      ['sessions', '--store', 'postgres://u:secret@[bad/db'],
      /^history: --store: postgres:\/\/u:\*\*\*@\[bad\/db is not a valid PostgreSQL URL/,
    ],
    [['sessions', '--store', 'postgres://localhost/db?schema='], /schema= must not be empty/],
    [['sessions'], /--store: is required: give --store <url> or set HISTORY_STORE/],
    [
      ['sessions', '--store', 'file:./x', '--limit', 'many'],
      /option '--limit <n>' argument 'many' is invalid/,
    ],
    [['cat', '--store', 'file:./x'], /missing required argument 'session'/],
    [['tail', '--store', 'file:./x'], /tail: give a session id or --all/],
    [['copy', 'file:./a', 'file:./a'], /copy: <from> and <to> are the same store/],
    [['copy', 'file:./a', 'nowhere'], /<to>: "nowhere" has no scheme/],
    [['sessions', '--store', 'file:./x', '--bogus'], /unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('history %j', async (args, message) => {
    await fails(args, 2, message);
  });

  it('a password in a URL never reaches the message', async () => {
    const r = await fails(['sessions', '--store', 'postgres://u:hunter2@[bad/db'], 2, /\*\*\*/);
    expect(r.stderr).not.toContain('hunter2');
  });
});

describe('stores that do not exist or cannot be read: one line, exit code 1', () => {
  it('a SQLite file that does not exist is not created by a read command', async () => {
    await fails(
      ['sessions', '--store', `sqlite:${at('missing.db')}`],
      1,
      /sqlite: no store at .*missing\.db \(the file does not exist; `history migrate` creates one\)/,
    );
    await fails(['stats', '--store', `sqlite:${at('missing.db')}`], 1, /no store at/);
  });

  it('a file that is not a SQLite database', async () => {
    writeFileSync(at('garbage.db'), 'this is not a database, just text '.repeat(200));
    await fails(
      ['sessions', '--store', `sqlite:${at('garbage.db')}`],
      1,
      /garbage\.db.*not a database/,
    );
  });

  it('a file root that is not a store, or is a file', async () => {
    await fails(['sessions', '--store', `file:${at('no-root')}`], 1, /file: .*no-root/);
    writeFileSync(at('plain-file'), 'x');
    await fails(['sessions', '--store', `file:${at('plain-file')}`], 1, /plain-file/);
    await fails(['import', '-', '--store', `file:${at('plain-file')}`], 1, /plain-file/, '');
  });

  it('a PostgreSQL server that refuses connections', async () => {
    await fails(
      ['stats', '--store', 'postgres://postgres@127.0.0.1:1/db?connect_timeout=5'],
      1,
      /ECONNREFUSED|connect/,
    );
  });

  it('an import file that does not exist or is a directory', async () => {
    await fails(
      ['import', at('nope.jsonl'), '--store', `file:${at('root')}`],
      1,
      /ENOENT: no such file or directory, stat '.*nope\.jsonl'/,
    );
    await fails(
      ['import', dir.path, '--store', `file:${at('root')}`],
      1,
      /is a directory, not a file/,
    );
  });

  it('an import stops at the first bad line, naming it; the lines before it are stored', async () => {
    const good = jsonl(agentEvents(1, 2));
    const store = `sqlite:${at('partial.db')}`;
    await fails(
      ['import', '-', '--store', store, '--batch-size', '1'],
      1,
      /^history: line 3: not JSON/,
      `${good}{oops\n`,
    );
    await fails(
      ['import', '-', '--store', store],
      1,
      /^history: line 3: invalid envelope: occurredAt: expected an ISO-8601 timestamp.*the lines before it were imported\n$/,
      `${good}${JSON.stringify({ id: 'x', type: 't', payload: {}, occurredAt: 'yesterday' })}\n`,
    );
    expect(JSON.parse(await ok(['stats', '--store', store, '--json'])).events).toBe(2);
  });

  it('--verbose adds the stack', async () => {
    const r = await history(['sessions', '--store', `sqlite:${at('missing.db')}`, '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^history: sqlite: no store at/);
    expect(r.stderr).toMatch(/\n {4}at .*open-store\.js/);
  });
});

describe('an adapter package that is not installed', () => {
  it('names the package to install, with exit code 2', async () => {
    // The built package alone in a node_modules with its own dependencies and no adapter, as
    // `npm install @history/cli` leaves it.
    const project = at('project');
    const modules = join(project, 'node_modules');
    const cli = join(modules, '@history', 'cli');
    const packageDir = fileURLToPath(new URL('..', import.meta.url));
    mkdirSync(cli, { recursive: true });
    cpSync(join(packageDir, 'dist'), join(cli, 'dist'), { recursive: true });
    cpSync(join(packageDir, 'package.json'), join(cli, 'package.json'));
    for (const dep of ['commander', 'cli-progress', '@history/core']) {
      const target = realpathSync(join(packageDir, 'node_modules', dep));
      mkdirSync(dirname(join(modules, dep)), { recursive: true });
      symlinkSync(target, join(modules, dep));
    }
    const bin = join(cli, 'dist', 'bin.js');
    for (const [url, name] of [
      [`sqlite:${at('x.db')}`, '@history/sqlite'],
      [`file:${at('x')}`, '@history/file'],
      ['postgres://localhost/db', '@history/postgres'],
    ] as const) {
      const r = await history(['stats', '--store', url], { bin });
      expect(r.stderr).toBe(
        `history: ${url.split(':')[0]}: stores need the ${name} package, which is not installed: npm install ${name}\n`,
      );
      expect(r.code).toBe(2);
    }
    // The rest of the command works without them.
    expect(await ok(['--help'], { bin })).toContain('Usage: history');
  });
});
