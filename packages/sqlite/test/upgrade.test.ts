import { copyFileSync } from 'node:fs';
import type { FeedEntry, HistoryStore } from '@history/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
// The built package: the default (worker) mode loads its worker file from dist.
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

/**
 * Stores written by released code, made by `fixtures/make-fixture.mjs` (see that script for
 * their content, the same in each): by the release before migration 0004 (schema version 3)
 * and by the one before migration 0006 (schema version 5).
 */
const FIXTURES = [3, 5].map((version) => ({
  version,
  file: new URL(`./fixtures/v${version}-store.sqlite`, import.meta.url),
}));
const MODES = [
  ['inline', { worker: false }],
  ['worker threads', { worker: true }],
] as const;

const envelope = (sessionId: string, n: number) => ({
  id: `${sessionId}-${n}`,
  type: 'fixture',
  sessionId,
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  payload: { n },
});

async function seqsOf(store: HistoryStore, sessionId: string, after?: number) {
  const seqs: number[] = [];
  for await (const r of store.stream(sessionId, after === undefined ? {} : { after })) {
    seqs.push(r.seq);
  }
  return seqs;
}

async function names(store: HistoryStore, prefix?: string) {
  const out: string[] = [];
  for await (const s of store.listSessions(prefix === undefined ? {} : { prefix })) {
    out.push(s.sessionId);
  }
  return out;
}

describe.each(
  FIXTURES.flatMap((fixture) =>
    MODES.map(([title, mode]) => [fixture.version, title, fixture, mode] as const),
  ),
)('upgrade from a schema-%i store (%s)', (_version, _title, fixture, mode) => {
  let db: ReturnType<typeof tempDb>;
  let store: HistoryStore | undefined;
  const open = async () => {
    db = tempDb();
    copyFileSync(fixture.file, db.filename);
    store = await createSqliteHistoryStore({ filename: db.filename, ...mode });
    return store;
  };
  afterEach(async () => {
    await store?.close();
    store = undefined;
    db.cleanup();
  });

  it('migrates to the latest version and keeps every event readable, old cursors included', async () => {
    const s = await open();
    const conn = new Database(db.filename, { readonly: true });
    expect(conn.pragma('user_version', { simple: true })).toBe(6);
    // Expiries have a table of their own (migration 0006): the ttl session's three expiring
    // events (two long expired, one in 2099; the one past 9999 has none), and no index.
    expect(
      conn
        .prepare(
          'SELECT s.name, e.seq FROM expiries x JOIN events e ON e.pos = x.pos JOIN session_state s ON s.sid = e.sid ORDER BY x.expires_at_ms',
        )
        .raw()
        .all(),
    ).toEqual([
      ['ttl', 1],
      ['ttl', 2],
      ['ttl', 3],
    ]);
    expect(
      conn
        .prepare("SELECT count(*) FROM sqlite_master WHERE name = 'events_by_expiry'")
        .pluck()
        .get(),
    ).toBe(0);
    // Renamed: a process still running the old code fails instead of writing past the
    // tombstones and expiries it does not know.
    expect(() => conn.prepare('SELECT sid FROM sessions WHERE name = ?')).toThrow(
      /no such table: sessions/,
    );
    conn.close();
    expect(await seqsOf(s, 'big')).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(await seqsOf(s, 'big', 250)).toEqual(Array.from({ length: 50 }, (_, i) => i + 251));
    expect(await seqsOf(s, 'small')).toEqual([1, 2, 3, 4, 5]);
    expect(await s.getCheckpoint('small')).toMatchObject({
      payload: { summary: 'small so far' },
      seq: 5,
    });
    // Time ranges still use the sealed blocks the old code wrote.
    const inRange: number[] = [];
    for await (const r of s.stream('big', {
      from: new Date(Date.UTC(2026, 0, 1, 0, 0, 200)).toISOString(),
      to: new Date(Date.UTC(2026, 0, 1, 0, 0, 203)).toISOString(),
    })) {
      inRange.push(r.seq);
    }
    expect(inRange).toEqual([200, 201, 202, 203]);
  });

  it("honours old events' ttlMs: expired ones are not read, and a purge removes them", async () => {
    const s = await open();
    expect(await seqsOf(s, 'ttl')).toEqual([3, 4, 5]);
    const purged = await s.purgeExpired();
    expect(purged).toMatchObject({ deletedEvents: 2, sessions: 1, done: true });
    expect(await s.getSession('ttl')).toMatchObject({ lastSeq: 5, eventCount: 3 });
    expect(await seqsOf(s, 'ttl')).toEqual([3, 4, 5]);
  });

  it('keeps ids deduplicated, sealed and tail alike, and continues the seqs', async () => {
    const s = await open();
    const retried = await s.appendMany([
      envelope('big', 1),
      envelope('big', 128),
      envelope('big', 256),
      envelope('big', 300),
      envelope('small', 5),
    ]);
    expect(retried.map((r) => [r.seq, r.duplicate])).toEqual([
      [1, true],
      [128, true],
      [256, true],
      [300, true],
      [5, true],
    ]);
    expect(await s.append(envelope('big', 301))).toMatchObject({ seq: 301, duplicate: false });
    expect(await s.append(envelope('small', 6), { expectedSeq: 5 })).toMatchObject({ seq: 6 });
  });

  it('lists the old sessions in UTF-8 byte order, with their counts and times', async () => {
    const s = await open();
    // A checkpoint alone is no session; 'é' (0xC3 0xA9) sorts after 'z'.
    expect(await names(s)).toEqual(['a%b_c', 'big', 'small', 'ttl', 'z-session', 'é-session']);
    expect(await names(s, 'a%')).toEqual(['a%b_c']);
    expect(await names(s, 'a_')).toEqual([]);
    expect(await s.getSession('checkpoint-only')).toBeNull();
    const big = await s.getSession('big');
    expect(big).toMatchObject({ sessionId: 'big', lastSeq: 300, eventCount: 300 });
    // From the first and the last event's commit times.
    expect(Date.parse(big!.createdAt)).toBeLessThanOrEqual(Date.parse(big!.updatedAt));
    const first = (await s.stream('big', { limit: 1 })[Symbol.asyncIterator]().next()).value;
    expect(big!.createdAt).toBe(first.createdAt);
    expect(await s.getSession('ttl')).toMatchObject({ lastSeq: 5, eventCount: 5 });
  });

  it('gives the old events a feed: every one once, in commit order, and new ones after them', async () => {
    const s = await open();
    const entries: FeedEntry[] = [];
    for await (const e of s.feed()) entries.push(e);
    const seqs = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    // The fixture's order of appends; ttl 1 and 2 expired in 2020.
    expect(entries.map((e) => `${e.record.sessionId}/${e.record.seq}`)).toEqual([
      ...seqs(300).map((q) => `big/${q}`),
      ...seqs(5).map((q) => `small/${q}`),
      'ttl/3',
      'ttl/4',
      'ttl/5',
      'a%b_c/1',
      'a%b_c/2',
      'é-session/1',
      'z-session/1',
    ]);
    const big = entries.filter((e) => e.record.sessionId === 'big').map((e) => e.record);
    const streamed = [];
    for await (const r of s.stream('big')) streamed.push(r);
    expect(big).toEqual(streamed);
    // The newest old event's rowid is the high-water mark: deleting its session and
    // appending again never reuses it.
    const last = entries.at(-1)!.position;
    await s.deleteSession('z-session');
    await s.append(envelope('z-session', 2));
    await s.append(envelope('small', 6));
    const rest: string[] = [];
    for await (const e of s.feed({ after: last }))
      rest.push(`${e.record.sessionId}/${e.record.seq}`);
    expect(rest).toEqual(['z-session/2', 'small/6']);
  });

  it('deletes an old session and continues its seqs afterwards', async () => {
    const s = await open();
    expect(await s.deleteSession('big')).toEqual({ deletedEvents: 300 });
    expect(await s.getSession('big')).toBeNull();
    // An old id is a new event now; seqs continue after the last one handed out.
    expect(await s.append(envelope('big', 1))).toMatchObject({ seq: 301, duplicate: false });
    expect(await s.getSession('big')).toMatchObject({ lastSeq: 301, eventCount: 1 });
  });
});
