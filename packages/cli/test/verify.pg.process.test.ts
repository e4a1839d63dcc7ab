import {
  appendFileSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { history, ok } from './cli.js';
import { agentEvents, jsonl } from './events.js';
import { pgStore } from './pg-schema.js';
import { tempDir } from './temp-dir.js';

// `history verify` on stores with problems planted behind the store's back: it must say what
// and where, exit with 1, and change nothing.
const dir = tempDir();
const pg = pgStore();
afterAll(async () => {
  dir.remove();
  await pg.drop();
});

// Three sessions of 600 events (a file session of over 512 lines has sparse index entries).
const input = join(dir.path, 'events.jsonl');
beforeAll(() => writeFileSync(input, jsonl(agentEvents(3, 600))));

interface Problem {
  kind: string;
  sessionId?: string;
  seq?: number;
  location: string;
  message: string;
}

async function verify(
  store: string,
): Promise<{ code: number | null; problems: Problem[]; text: string }> {
  const json = await history(['verify', '--store', store, '--json', '--no-progress']);
  const text = await history(['verify', '--store', store, '--no-progress']);
  expect(text.code).toBe(json.code);
  const report = JSON.parse(json.stdout);
  expect(report.sessions).toBe(3);
  return { code: json.code, problems: report.problems, text: text.stdout };
}

/** A file session's data file, found by the session id its lines carry. */
function sessionFile(root: string, sessionId: string, ext = '.jsonl'): string {
  const sessions = join(root, 'sessions');
  for (const name of readdirSync(sessions)) {
    if (!name.endsWith('.jsonl')) continue;
    const first = readFileSync(join(sessions, name), 'utf8').split('\n', 1)[0]!;
    if (first.includes(`"sessionId":${JSON.stringify(sessionId)}`)) {
      return join(sessions, name.replace(/\.jsonl$/, ext));
    }
  }
  throw new Error(`no file of ${sessionId}`);
}

describe('file', () => {
  const root = join(dir.path, 'root');
  const store = `file:${root}`;

  it('reports a sound store as sound, with exit code 0', async () => {
    await ok(['import', input, '--store', store, '--no-progress']);
    const r = await verify(store);
    expect(r.code).toBe(0);
    expect(r.problems).toEqual([]);
    expect(r.text).toBe(`${store}: 3 sessions, 1,800 events checked: no problems\n`);
  });

  it('finds a torn line, a missing index entry and a seq gap, and changes nothing', async () => {
    const torn = sessionFile(root, 'session-0000');
    appendFileSync(torn, '{"seq":601,"id":"0:600","at":1');
    const index = sessionFile(root, 'session-0001', '.idx');
    truncateSync(index, statSync(index).size - 8); // the entry of line 512
    const gapped = sessionFile(root, 'session-0002');
    const lines = readFileSync(gapped, 'utf8').split(/(?<=\n)/);
    writeFileSync(gapped, [...lines.slice(0, 2), ...lines.slice(3)].join('')); // seq 3 goes
    const before = readdirSync(join(root, 'sessions')).map((f) => [
      f,
      statSync(join(root, 'sessions', f)).mtimeMs,
    ]);

    const r = await verify(store);
    expect(r.code).toBe(1);
    const found = r.problems.map((p) => [p.kind, p.sessionId]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['torn-line', 'session-0000'],
        ['index-mismatch', 'session-0001'],
        ['seq-gap', 'session-0002'],
      ]),
    );
    const gap = r.problems.find((p) => p.kind === 'seq-gap')!;
    expect(gap).toMatchObject({ seq: 3, location: expect.stringContaining(gapped) });
    const of = (kind: string, sessionId: string) =>
      r.problems.find((p) => p.kind === kind && p.sessionId === sessionId)!;
    expect(of('torn-line', 'session-0000').location).toContain(torn);
    expect(of('index-mismatch', 'session-0001').location).toContain(index);
    // The human report: a line per problem with its kind, session, seq and where.
    expect(r.text).toMatch(
      /^file:.*: 3 sessions, [\d,]+ events checked: \d+ problems\nKIND +SESSION +SEQ +WHERE +WHAT\n/,
    );
    expect(r.text).toMatch(
      new RegExp(`seq-gap +session-0002 +3 +${gapped.replaceAll(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`),
    );
    // Nothing was repaired: the torn line is still there.
    expect(
      readdirSync(join(root, 'sessions')).map((f) => [
        f,
        statSync(join(root, 'sessions', f)).mtimeMs,
      ]),
    ).toEqual(before);
    expect(readFileSync(torn, 'utf8').endsWith('"at":1')).toBe(true);
  });
});

describe('sqlite', () => {
  it('finds a seq gap planted by SQL', async () => {
    const filename = join(dir.path, 'h.db');
    const store = `sqlite:${filename}`;
    await ok(['import', input, '--store', store, '--no-progress']);
    expect((await verify(store)).code).toBe(0);
    const db = new Database(filename);
    db.prepare('DELETE FROM events WHERE id = ?').run('1:9'); // session-0001, seq 10
    db.close();
    const r = await verify(store);
    expect(r.code).toBe(1);
    expect(r.problems).toContainEqual(
      expect.objectContaining({ kind: 'seq-gap', sessionId: 'session-0001', seq: 10 }),
    );
  });
});

describe('postgres', () => {
  it('finds a seq gap and a missing feed index entry planted by SQL', async () => {
    await ok(['import', input, '--store', pg.url, '--no-progress']);
    expect((await verify(pg.url)).code).toBe(0);
    await pg.query(
      `DELETE FROM "${pg.schema}".events WHERE session_id = 'session-0002' AND seq = 7`,
    );
    await pg.query(
      `UPDATE "${pg.schema}".events SET tx = NULL WHERE session_id = 'session-0000' AND seq = 70`,
    );
    const r = await verify(pg.url);
    expect(r.code).toBe(1);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        // The schema counts a session's events: the gap is found by the count, not the seq.
        expect.objectContaining({
          kind: 'seq-gap',
          sessionId: 'session-0002',
          message: expect.stringContaining('1 missing'),
        }),
        expect.objectContaining({ kind: 'index-mismatch', sessionId: 'session-0000', seq: 70 }),
      ]),
    );
  });
});
