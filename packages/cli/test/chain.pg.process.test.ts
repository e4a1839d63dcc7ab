import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileHistoryStore } from '@history/file';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ok } from './cli.js';
import { agentEvents, exportedLines, jsonl, withoutCommitTimes } from './events.js';
import { pgStore } from './pg-schema.js';
import { tempDir } from './temp-dir.js';

// 100,000 events around every backend: file -> sqlite -> postgres -> file. Each hop must keep
// every envelope byte for byte with the same seq in the same session, and the checkpoints.
const SESSIONS = 100;
const PER_SESSION = 1000;
const dir = tempDir();
const pg = pgStore();
const stores = {
  file: `file:${join(dir.path, 'source')}`,
  sqlite: `sqlite:${join(dir.path, 'copy.db')}`,
  postgres: pg.url,
  back: `file:${join(dir.path, 'back')}`,
};
const events = agentEvents(SESSIONS, PER_SESSION);

beforeAll(async () => {
  const input = join(dir.path, 'events.jsonl');
  writeFileSync(input, jsonl(events));
  const imported = JSON.parse(
    await ok(['import', input, '--store', stores.file, '--json', '--no-progress']),
  );
  expect(imported).toMatchObject({ imported: 100_000, duplicates: 0, renumbered: 0 });
  // Checkpoints are written by applications, not the CLI: two sessions get one here.
  const store = await createFileHistoryStore({ root: join(dir.path, 'source') });
  await store.checkpoint('session-0007', { cursor: 'abc', n: 1 }, { seq: 500 });
  await store.checkpoint('session-0042', { summary: 'no seq' });
  await store.close();
});
afterAll(async () => {
  dir.remove();
  await pg.drop();
});

it('copies 100,000 events file -> sqlite -> postgres -> file: same envelopes, bytes and seqs', async () => {
  const source = await ok(['export', '--store', stores.file, '--no-progress']);
  const lines = exportedLines(source);
  expect(lines).toHaveLength(100_000);
  // The export is what was imported, byte for byte, with seqs 1..1000 in each session.
  const byId = new Map(events.map((e) => [e.id, JSON.stringify(e)]));
  for (const line of lines) {
    const id = JSON.parse(line.envelope).id as string;
    expect(line.envelope).toBe(byId.get(id));
    expect(line.seq).toBe(Number(id.split(':')[1]) + 1);
  }

  const hops: Array<[string, string]> = [
    [stores.file, stores.sqlite],
    [stores.sqlite, stores.postgres],
    [stores.postgres, stores.back],
  ];
  for (const [from, to] of hops) {
    const summary = JSON.parse(await ok(['copy', from, to, '--json', '--no-progress']));
    expect(summary).toMatchObject({
      sessions: SESSIONS,
      copied: 100_000,
      complete: 0,
      checkpoints: 2,
      renumbered: 0,
      refused: [],
      interrupted: false,
    });
    const copied = await ok(['export', '--store', to, '--no-progress']);
    expect(withoutCommitTimes(copied)).toEqual(withoutCommitTimes(source));
  }

  // The checkpoints made it around too, with their seqs.
  const back = await createFileHistoryStore({ root: join(dir.path, 'back'), readOnly: true });
  try {
    expect(await back.getCheckpoint('session-0007')).toMatchObject({
      payload: { cursor: 'abc', n: 1 },
      seq: 500,
    });
    const noSeq = await back.getCheckpoint('session-0042');
    expect(noSeq).toMatchObject({ payload: { summary: 'no seq' } });
    expect(noSeq?.seq).toBeUndefined();
  } finally {
    await back.close();
  }

  // Copying again finds every session complete and writes nothing.
  const again = JSON.parse(
    await ok(['copy', stores.sqlite, stores.postgres, '--json', '--no-progress']),
  );
  expect(again).toMatchObject({ copied: 0, complete: SESSIONS, checkpoints: 0, refused: [] });
  const stats = JSON.parse(await ok(['stats', '--store', stores.postgres, '--json']));
  expect(stats).toMatchObject({ sessions: SESSIONS, events: 100_000 });
  expect(stats.bytes).toBeGreaterThan(100_000 * 100);
});
