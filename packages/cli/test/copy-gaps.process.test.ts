import { join } from 'node:path';
import type { Envelope } from '@history/core';
import { createSqliteHistoryStore } from '@history/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { history, ok } from './cli.js';
import { exportedLines, jsonl } from './events.js';
import { tempDir } from './temp-dir.js';

// Sessions whose seqs do not run from 1 without a gap cannot keep their seqs in another
// store (the target hands seqs out): copy refuses them, or renumbers them with --renumber.
const dir = tempDir();
afterAll(() => dir.remove());
const source = `sqlite:${join(dir.path, 'source.db')}`;

function events(
  sessionId: string,
  from: number,
  to: number,
  ttl?: (n: number) => boolean,
): Envelope[] {
  return Array.from({ length: to - from + 1 }, (_, i) => {
    const n = from + i;
    return {
      id: `${sessionId}-${n}`,
      type: 'message',
      sessionId,
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
      payload: { n },
      ...(ttl?.(n) ? { ttlMs: 1 } : {}),
    };
  });
}

/** Session id -> [seq, envelope id] of a store's export. */
async function contents(store: string, session: string): Promise<Array<[number, string]>> {
  const lines = exportedLines(await ok(['export', '--store', store, '--session', session]));
  return lines.map((l) => [l.seq, JSON.parse(l.envelope).id]);
}

beforeAll(async () => {
  // whole: seqs 1-10. purged: 10 events, 3-5 expired and purged. reborn: 5 events, deleted,
  // then 3 more (seqs 6-8).
  const first = [
    ...events('whole', 1, 10),
    ...events('purged', 1, 10, (n) => n >= 3 && n <= 5),
    ...events('reborn', 1, 5),
  ];
  await ok(['import', '-', '--store', source], { input: jsonl(first) });
  expect(JSON.parse(await ok(['purge', '--store', source, '--json']))).toMatchObject({
    deletedEvents: 3,
  });
  await ok(['delete', 'reborn', '--store', source, '--yes']);
  await ok(['import', '-', '--store', source], { input: jsonl(events('reborn', 6, 8)) });
  // An application's checkpoint, covering up to seq 7 of the purged session.
  const store = await createSqliteHistoryStore({
    filename: join(dir.path, 'source.db'),
    worker: false,
  });
  await store.checkpoint('purged', { upTo: 'purged-7' }, { seq: 7 });
  await store.close();
});

describe('copy without --renumber', () => {
  it('refuses sessions with gaps, copies the others, and exits with 1', async () => {
    const target = `file:${join(dir.path, 'refused')}`;
    const r = await history(['copy', source, target]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^copied 10 events of 3 sessions \(0 already complete\) and 0 checkpoints in/,
    );
    expect(r.stderr).toContain(
      'history: session "purged" not copied: 3 of its seqs 1-10 have no event at the source (purged, expired or deleted events): the target would number its events differently; copy it with --renumber\n',
    );
    expect(r.stderr).toContain(
      'history: session "reborn" not copied: 5 of its seqs 1-8 have no event',
    );
    expect(r.stderr).toMatch(/history: 2 sessions not copied \(see above\)\n$/);
    expect(await contents(target, 'whole')).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, `whole-${i + 1}`]),
    );
    for (const s of ['purged', 'reborn']) {
      expect((await history(['cat', s, '--store', target])).code).toBe(1);
    }
    const json = await history(['copy', source, target, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).refused.map((x: { sessionId: string }) => x.sessionId)).toEqual([
      'purged',
      'reborn',
    ]);
  });

  it('copies a session up to an expired (not yet purged) event, and says so', async () => {
    const src = `sqlite:${join(dir.path, 'expiring.db')}`;
    await ok(['import', '-', '--store', src], {
      input: jsonl(events('expiring', 1, 6, (n) => n === 4)),
    });
    const target = `sqlite:${join(dir.path, 'expiring-target.db')}`;
    const r = await history(['copy', src, target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'history: session "expiring" not copied: seqs 4-4 have no event at the source (expired or purged while copying): copied up to seq 3; copy it with --renumber\n',
    );
    expect((await contents(target, 'expiring')).map(([seq]) => seq)).toEqual([1, 2, 3]);
  });
});

describe('copy --renumber', () => {
  it("copies them with the target's seqs, warns, translates the checkpoint, and is idempotent", async () => {
    const target = `file:${join(dir.path, 'renumbered')}`;
    const r = await history(['copy', source, target, '--renumber']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^copied 20 events of 3 sessions \(0 already complete\) and 1 checkpoints/,
    );
    expect(r.stderr).toContain(
      'history: warning: 2 sessions got other seqs at the target (--renumber)\n',
    );
    expect(await contents(target, 'purged')).toEqual([
      [1, 'purged-1'],
      [2, 'purged-2'],
      [3, 'purged-6'],
      [4, 'purged-7'],
      [5, 'purged-8'],
      [6, 'purged-9'],
      [7, 'purged-10'],
    ]);
    expect(await contents(target, 'reborn')).toEqual([
      [1, 'reborn-6'],
      [2, 'reborn-7'],
      [3, 'reborn-8'],
    ]);
    // Source seq 7 is the target's seq 4.
    const { createFileHistoryStore } = await import('@history/file');
    const store = await createFileHistoryStore({
      root: join(dir.path, 'renumbered'),
      readOnly: true,
    });
    expect(await store.getCheckpoint('purged')).toMatchObject({
      payload: { upTo: 'purged-7' },
      seq: 4,
    });
    await store.close();

    const again = JSON.parse(await ok(['copy', source, target, '--renumber', '--json']));
    expect(again).toMatchObject({ copied: 0, complete: 3, checkpoints: 0, refused: [] });
    expect(JSON.parse(await ok(['stats', '--store', target, '--json'])).events).toBe(20);
  });

  it('resumes a session the target has part of, matching its events one by one', async () => {
    const target = `sqlite:${join(dir.path, 'resume.db')}`;
    // The target already has the first three surviving events (as an interrupted copy leaves it).
    const exported = exportedLines(await ok(['export', '--store', source, '--session', 'purged']));
    await ok(['import', '-', '--store', target], {
      input: exported
        .slice(0, 3)
        .map((l) => `${l.envelope}\n`)
        .join(''),
    });
    const r = JSON.parse(
      await ok(['copy', source, target, '--renumber', '--session', 'purged', '--json']),
    );
    expect(r).toMatchObject({ copied: 4, refused: [], checkpoints: 1 });
    expect((await contents(target, 'purged')).map(([, id]) => id)).toEqual([
      'purged-1',
      'purged-2',
      'purged-6',
      'purged-7',
      'purged-8',
      'purged-9',
      'purged-10',
    ]);
  });

  it('refuses a target session that holds other events', async () => {
    const target = `sqlite:${join(dir.path, 'diverged.db')}`;
    await ok(['import', '-', '--store', target], { input: jsonl(events('purged', 100, 100)) });
    const r = await history(['copy', source, target, '--renumber', '--session', 'purged']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'history: session "purged" not copied: the target session differs from the source: its seq 1 is event "purged-100", the source\'s next is "purged-1"\n',
    );
  });
});

it('without --renumber, refuses a target session that is ahead of the source', async () => {
  const target = `sqlite:${join(dir.path, 'ahead.db')}`;
  await ok(['import', '-', '--store', target], { input: jsonl(events('whole', 1, 12)) });
  const r = await history(['copy', source, target, '--session', 'whole']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(
    'history: session "whole" not copied: the target session is at seq 12, past the source\'s last seq 10: it holds events the source does not\n',
  );
});
