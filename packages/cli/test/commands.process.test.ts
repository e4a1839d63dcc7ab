import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finish, history, ok, startHistory, waitForOutput } from './cli.js';
import { agentEvents, exportedLines, jsonl, withoutCommitTimes } from './events.js';
import { tempDir } from './temp-dir.js';

// The everyday commands, on a file root and a SQLite database (PostgreSQL: the .pg. files).
const dir = tempDir();
afterAll(() => dir.remove());

const events = agentEvents(3, 40); // sessions session-0000..0002, 40 events each
const input = join(dir.path, 'events.jsonl');
beforeAll(() => writeFileSync(input, jsonl(events)));

describe.each(['file', 'sqlite'] as const)('on %s', (kind) => {
  const store =
    kind === 'file' ? `file:${join(dir.path, 'root')}` : `sqlite:${join(dir.path, 'h.db')}`;

  beforeAll(async () => {
    const summary = JSON.parse(await ok(['import', input, '--store', store, '--json']));
    expect(summary).toMatchObject({ lines: 120, imported: 120, duplicates: 0, renumbered: 0 });
  });

  it('import is idempotent: the same file again stores nothing new', async () => {
    const summary = JSON.parse(await ok(['import', input, '--store', store, '--json']));
    expect(summary).toMatchObject({ imported: 0, duplicates: 120 });
    const stats = JSON.parse(await ok(['stats', '--store', store, '--json']));
    expect(stats).toMatchObject({ sessions: 3, events: 120 });
  });

  it('sessions lists with --prefix and --limit, as a table or JSON lines', async () => {
    const table = await ok(['sessions', '--store', store]);
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SESSION\s+EVENTS\s+LAST SEQ\s+CREATED\s+UPDATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['session-0000', '40', '40'],
      ['session-0001', '40', '40'],
      ['session-0002', '40', '40'],
    ]);
    const json = await ok([
      'sessions',
      '--store',
      store,
      '--json',
      '--prefix',
      'session-000',
      '--limit',
      '2',
    ]);
    const listed = json
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(listed.map((s) => [s.sessionId, s.eventCount, s.lastSeq])).toEqual([
      ['session-0000', 40, 40],
      ['session-0001', 40, 40],
    ]);
    expect(await ok(['sessions', '--store', store, '--prefix', 'nope', '--json'])).toBe('');
  });

  it('cat prints a session in seq order, with --after, --from/--to, --limit and --backward', async () => {
    const all = await ok(['cat', 'session-0001', '--store', store]);
    const rows = all.trimEnd().split('\n');
    expect(rows).toHaveLength(40);
    const first = events.find((e) => e.sessionId === 'session-0001')!;
    expect(rows[0]).toBe(
      ` 1  ${first.occurredAt}  ${first.type}  ${JSON.stringify(first.payload)}`,
    );
    const seqs = async (...args: string[]) =>
      exportedLines(await ok(['cat', 'session-0001', '--store', store, '--json', ...args])).map(
        (l) => l.seq,
      );
    expect(await seqs('--after', '37')).toEqual([38, 39, 40]);
    expect(await seqs('--backward', '--limit', '3')).toEqual([40, 39, 38]);
    expect(await seqs('--backward', '--after', '3')).toEqual([2, 1]);
    // Event k occurred at 2026-01-01T00:00:k (seq k + 1).
    expect(
      await seqs('--from', '2026-01-01T00:00:05Z', '--to', '2026-01-01T01:00:07+01:00'),
    ).toEqual([6, 7, 8]);
    expect(await seqs('--limit', '0')).toEqual([]);
  });

  it('cat of a session that does not exist fails with one line', async () => {
    const r = await history(['cat', 'nobody', '--store', store]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`history: no session "nobody" in ${store}\n`);
  });

  it('export writes every envelope exactly as imported, with its seq, gzipped on request', async () => {
    const plain = await ok(['export', '--store', store]);
    const lines = exportedLines(plain);
    expect(lines).toHaveLength(120);
    // Sessions in id order, seqs in order, envelopes byte for byte what was imported.
    const expected = [...events]
      .sort((a, b) => (a.sessionId! < b.sessionId! ? -1 : a.sessionId! > b.sessionId! ? 1 : 0))
      .map((e) => JSON.stringify(e));
    expect(lines.map((l) => l.envelope)).toEqual(expected);
    expect(lines.slice(0, 3).map((l) => [l.sessionId, l.seq])).toEqual([
      ['session-0000', 1],
      ['session-0000', 2],
      ['session-0000', 3],
    ]);

    const gz = join(dir.path, `${kind}.jsonl.gz`);
    const summary = JSON.parse(
      await ok(['export', '--store', store, '--session', 'session-0002', '-o', gz, '--json']),
    );
    expect(summary).toMatchObject({ sessions: 1, events: 40, gzip: true });
    const unzipped = gunzipSync(readFileSync(gz)).toString('utf8');
    expect(withoutCommitTimes(unzipped)).toEqual(withoutCommitTimes(plain).slice(80));

    const prefixed = await ok(['export', '--store', store, '--prefix', 'session-0001']);
    expect(exportedLines(prefixed).map((l) => l.sessionId)).toEqual(Array(40).fill('session-0001'));
  });

  it('import reads an export from stdin, gzipped, into another store with the same seqs', async () => {
    const exported = await ok(['export', '--store', store]);
    const other = `sqlite:${join(dir.path, `${kind}-reimport.db`)}`;
    const summary = JSON.parse(
      await ok(['import', '-', '--store', other, '--json'], { input: gzipSync(exported) }),
    );
    expect(summary).toMatchObject({ imported: 120, duplicates: 0, renumbered: 0 });
    expect(withoutCommitTimes(await ok(['export', '--store', other]))).toEqual(
      withoutCommitTimes(exported),
    );
  });

  it('stats counts sessions, events and the bytes on disk', async () => {
    const stats = JSON.parse(await ok(['stats', '--store', store, '--json']));
    expect(stats).toMatchObject({ store, sessions: 3, events: 120 });
    expect(stats.bytes).toBeGreaterThan(120 * 100);
    expect(Date.parse(stats.oldest)).toBeLessThanOrEqual(Date.parse(stats.newest));
    const text = await ok(['stats', '--store', store]);
    expect(text).toMatch(
      /^store\s+\S+\nsessions\s+3\nevents\s+120\nbytes\s+[\d.]+ KiB \([\d,]+\)\noldest\s+\S+\nnewest\s+\S+\n$/,
    );
  });

  it('tail prints the last events, then follows new ones until Ctrl-C (exit 0)', async () => {
    const child = startHistory(['tail', 'session-0000', '-n', '2', '--json', '--store', store]);
    const done = finish(child);
    await waitForOutput(child, 'stdout', /"seq":40,.*\n/);
    const more = agentEvents(1, 2, { start: 40 }); // session-0000, events 40 and 41
    await ok(['import', '-', '--store', store], { input: jsonl(more) });
    await waitForOutput(child, 'stdout', /"seq":42,.*\n/);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(0);
    expect(exportedLines(r.stdout).map((l) => l.seq)).toEqual([39, 40, 41, 42]);
  });

  it("tail --all prints the feed's last events with positions, then follows every session", async () => {
    const child = startHistory(['tail', '--all', '-n', '1', '--json', '--store', store]);
    const done = finish(child);
    await waitForOutput(child, 'stdout', /\n/);
    await ok(['import', '-', '--store', store], {
      input: jsonl([...agentEvents(1, 1, { prefix: 'late' }), ...agentEvents(1, 1, { start: 42 })]),
    });
    await waitForOutput(child, 'stdout', /"sessionId":"session-0000","seq":43/);
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.sessionId, l.seq])[0]).toEqual(['session-0000', 42]);
    // One batch's sessions: in either order.
    expect(
      lines
        .slice(1)
        .map((l) => `${l.sessionId}/${l.seq}`)
        .sort(),
    ).toEqual(['late-0000/1', 'session-0000/43']);
    expect(lines.every((l) => typeof l.position === 'string')).toBe(true);
    // A position resumes exactly after it.
    const resumed = await ok([
      'tail',
      '--all',
      '--after',
      lines[0].position,
      '--no-follow',
      '--json',
      '--store',
      store,
    ]);
    expect(
      resumed
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).envelope.id),
    ).toEqual([lines[1].envelope.id, lines[2].envelope.id]);
  });

  it('purge removes expired events; delete erases a session, refusing without --yes in a pipe', async () => {
    const expired = agentEvents(1, 5, { prefix: 'ttl', ttlMs: 1 });
    await ok(['import', '-', '--store', store], { input: jsonl(expired) });
    const purged = JSON.parse(await ok(['purge', '--store', store, '--json']));
    expect(purged).toEqual({ deletedEvents: 5, sessions: 1, done: true });
    expect(
      JSON.parse(await ok(['stats', '--store', store, '--json', '--prefix', 'ttl'])).events,
    ).toBe(0);

    const refused = await history(['delete', 'session-0002', '--store', store]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'history: delete: stdin is not a terminal to confirm on: add --yes\n',
    );
    const deleted = JSON.parse(
      await ok(['delete', 'session-0002', '--store', store, '--yes', '--json']),
    );
    expect(deleted).toEqual({ sessionId: 'session-0002', deletedEvents: 40 });
    expect((await history(['cat', 'session-0002', '--store', store])).code).toBe(1);
    const again = await history(['delete', 'session-0002', '--store', store, '--yes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^history: no session "session-0002" in .*\n$/);
  });
});

it('a reader that closes the pipe early ends the command quietly, with exit code 0', async () => {
  const store = `file:${join(dir.path, 'piped')}`;
  await ok(['import', '-', '--store', store], { input: jsonl(agentEvents(2, 3000)) });
  const child = startHistory(['export', '--store', store, '--no-progress']);
  await waitForOutput(child, 'stdout', /\n/);
  child.stdout.destroy();
  const r = await finish(child);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});

describe('migrate', () => {
  it('creates a SQLite database and a file root that read commands then open', async () => {
    const db = `sqlite:${join(dir.path, 'fresh.db')}`;
    expect((await history(['sessions', '--store', db])).code).toBe(1);
    expect(await ok(['migrate', '--store', db])).toBe(
      `${db}: created or migrated to the current version\n`,
    );
    expect(await ok(['sessions', '--store', db, '--json'])).toBe('');
    const root = `file:${join(dir.path, 'fresh-root')}`;
    expect((await history(['stats', '--store', root])).code).toBe(1);
    expect(JSON.parse(await ok(['migrate', '--store', root, '--json']))).toEqual({ store: root });
    expect(JSON.parse(await ok(['stats', '--store', root, '--json']))).toMatchObject({
      sessions: 0,
    });
  });
});

describe('help', () => {
  it('history --help lists every command; each command --help lists its options', async () => {
    const help = await ok(['--help']);
    for (const name of [
      'migrate',
      'sessions',
      'cat',
      'tail',
      'export',
      'import',
      'copy',
      'stats',
      'verify',
      'purge',
      'delete',
    ]) {
      expect(help).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(help).toContain('Exit codes:');
    const options: Record<string, string[]> = {
      sessions: ['--prefix', '--limit', '--after', '--store', '--json'],
      cat: ['--after', '--from', '--to', '--limit', '--backward', '--json'],
      tail: ['--all', '--lines', '--after', '--no-follow'],
      export: ['--session', '--prefix', '--output', '--gzip', '--no-progress'],
      import: ['--batch-size', '--progress-interval'],
      copy: ['--renumber', '--chunk-size', '--concurrency', '--session', '--prefix'],
      verify: ['--max-problems', '--json'],
      purge: ['--limit'],
      delete: ['--yes'],
      stats: ['--json'],
      migrate: ['--store'],
    };
    for (const [name, flags] of Object.entries(options)) {
      const text = await ok([name, '--help']);
      expect(text).toMatch(new RegExp(`^Usage: history ${name} `));
      expect(text).toContain('Example');
      for (const flag of flags) expect(text).toContain(flag);
    }
  });
});
