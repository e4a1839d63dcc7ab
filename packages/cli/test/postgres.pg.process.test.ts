import { afterAll, expect, it } from 'vitest';
import { history, ok } from './cli.js';
import { agentEvents, exportedLines, jsonl } from './events.js';
import { pgStore } from './pg-schema.js';

// The commands on PostgreSQL (the ones shared with the other stores are in commands.process).
const pg = pgStore();
afterAll(() => pg.drop());

it('read commands do not create a schema; migrate does, then reports it current', async () => {
  const r = await history(['sessions', '--store', pg.url]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^history: [^\n]+\n$/);
  const { rows } = await pg.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [pg.schema]);
  expect(rows).toEqual([]);

  const first = JSON.parse(await ok(['migrate', '--store', pg.url, '--json']));
  expect(first.applied.length).toBeGreaterThan(0);
  expect(first.applied).toEqual(Array.from({ length: first.version }, (_, i) => i + 1));
  const again = await ok(['migrate', '--store', pg.url]);
  expect(again).toMatch(new RegExp(`: already at version ${first.version}\\n$`));
  expect(await ok(['sessions', '--store', pg.url, '--json'])).toBe('');
});

it('import, cat, stats, purge and delete against the schema the URL names', async () => {
  await ok(['import', '-', '--store', pg.url], {
    input: jsonl([...agentEvents(2, 30), ...agentEvents(1, 4, { prefix: 'ttl', ttlMs: 1 })]),
  });
  const { rows } = await pg.query(`SELECT count(*)::int AS n FROM "${pg.schema}".events`);
  expect(rows[0].n).toBe(64);
  const seqs = exportedLines(
    await ok(['cat', 'session-0001', '--store', pg.url, '--json', '--after', '27']),
  );
  expect(seqs.map((l) => l.seq)).toEqual([28, 29, 30]);
  const stats = JSON.parse(await ok(['stats', '--store', pg.url, '--json']));
  expect(stats).toMatchObject({ sessions: 3, events: 64 });
  expect(stats.bytes).toBeGreaterThan(8192);
  expect(JSON.parse(await ok(['purge', '--store', pg.url, '--json']))).toMatchObject({
    deletedEvents: 4,
  });
  expect(
    JSON.parse(await ok(['delete', 'session-0000', '--yes', '--json', '--store', pg.url])),
  ).toEqual({
    sessionId: 'session-0000',
    deletedEvents: 30,
  });
  expect(JSON.parse(await ok(['stats', '--store', pg.url, '--json']))).toMatchObject({
    events: 30,
  });
});
