import { execFileSync } from 'node:child_process';
import type { HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { event, fill, ids } from './session-helpers.js';
import { tempDb } from './temp-db.js';

const fixture = new URL('./fixtures/delete-session.mjs', import.meta.url).pathname;

describe('a delete from another process', () => {
  let store: HistoryStore | undefined;
  let db: ReturnType<typeof tempDb>;
  afterEach(async () => {
    await store?.close();
    db.cleanup();
  });

  it("never lets this process's cached seqs or ids bring the session back", async () => {
    db = tempDb();
    store = await createSqliteHistoryStore({ filename: db.filename });
    await fill(store, 's', 150);
    await fill(store, 'other', 5);
    const out = execFileSync(process.execPath, [fixture, db.filename, 's'], { encoding: 'utf8' });
    expect(out.trim()).toBe('deleted 150');
    expect(await ids(store, 's')).toEqual([]);
    expect(await store.getSession('s')).toBeNull();
    const again = await store.appendMany([event('s', 150), event('s', 1), event('other', 6)]);
    expect(again.map((r) => [r.sessionId, r.seq, r.duplicate])).toEqual([
      ['s', 151, false],
      ['s', 152, false],
      ['other', 6, false],
    ]);
    expect(await store.getSession('s')).toMatchObject({ lastSeq: 152, eventCount: 2 });
  });
});
