import type { HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
// The built package: the default (worker) mode loads its worker file from dist.
import { createSqliteHistoryStore } from '../dist/index.js';
import { event, fill, ids } from './session-helpers.js';
import { tempDb } from './temp-db.js';

describe('a delete through another connection', () => {
  const stores: HistoryStore[] = [];
  let db: ReturnType<typeof tempDb>;
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    db.cleanup();
  });

  it.each([
    ['inline', { worker: false }],
    ['worker threads', { worker: true }],
    ['writer thread only', { worker: true, inlineWriteRows: 0 }],
  ] as const)('is seen by a store whose writer cached the session (%s)', async (_title, mode) => {
    db = tempDb();
    const a = await createSqliteHistoryStore({ filename: db.filename, ...mode });
    const b = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    stores.push(a, b);
    await fill(a, 's', 150);
    expect(await b.deleteSession('s')).toEqual({ deletedEvents: 150 });
    // Old ids, sealed and in the tail a's writer remembers, are new events now.
    const again = await a.appendMany([event('s', 1), event('s', 140), event('s', 150)]);
    expect(again.map((r) => [r.seq, r.duplicate])).toEqual([
      [151, false],
      [152, false],
      [153, false],
    ]);
    expect(await ids(a, 's')).toEqual([
      ['s-1', 151],
      ['s-140', 152],
      ['s-150', 153],
    ]);
    expect(await a.getSession('s')).toMatchObject({ lastSeq: 153, eventCount: 3 });
  });

  it('makes conditions see a deleted session as new (last seq 0)', async () => {
    db = tempDb();
    const a = await createSqliteHistoryStore({ filename: db.filename });
    const b = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    stores.push(a, b);
    await fill(a, 's', 3);
    await b.deleteSession('s');
    await expect(a.append(event('s', 4), { expectedSeq: 3 })).rejects.toMatchObject({
      code: 'HISTORY_CONFLICT',
    });
    expect(await a.append(event('s', 4), { expectedSeq: 0 })).toMatchObject({ seq: 4 });
  });

  it('a purge through another connection: a purged id is new to a store that cached it', async () => {
    db = tempDb();
    const a = await createSqliteHistoryStore({ filename: db.filename });
    const b = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    stores.push(a, b);
    const past = '2020-01-01T00:00:00.000Z';
    await a.appendMany([{ ...event('s', 1), occurredAt: past, ttlMs: 1 }, event('s', 2)]);
    expect(await b.purgeExpired()).toMatchObject({ deletedEvents: 1 });
    expect(await a.append({ ...event('s', 1), occurredAt: past, ttlMs: 1e12 })).toMatchObject({
      seq: 3,
      duplicate: false,
    });
  });
});
