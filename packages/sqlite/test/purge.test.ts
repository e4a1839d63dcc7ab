import type { PurgeResult } from '@history/core';
import type { PurgeRequest } from '@history/core/backend';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqliteBackend } from '../src/sqlite-backend.js';
import { openBackend, prepared } from './backend-fixture.js';

const T0 = Date.UTC(2026, 0, 1);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Slices of the default budget, and of 16 events (so every chunk's removal takes several). */
const SLICES = [
  { slices: 'default slices', purgeSliceMs: undefined },
  { slices: '16-event slices', purgeSliceMs: 0 },
];
let purgeSliceMs: number | undefined;

function open() {
  const opened = openBackend({ purgeSliceMs });
  cleanups.push(opened.cleanup);
  return opened;
}

async function seqs(backend: SqliteBackend, sessionId: string): Promise<number[]> {
  const out: number[] = [];
  for await (const page of backend.readPages(sessionId, { direction: 'forward' })) {
    for (const r of page) out.push(r.seq);
  }
  return out;
}

/** Appends `n` events to a session in batches of 100; `at(k)` gives the k-th's times. */
async function fill(
  backend: SqliteBackend,
  sessionId: string,
  n: number,
  at: (k: number) => { occurred: number; expires?: number },
) {
  for (let from = 1; from <= n; from += 100) {
    const batch = [];
    for (let k = from; k < Math.min(from + 100, n + 1); k++) {
      const { occurred, expires } = at(k);
      batch.push(prepared(sessionId, `${sessionId}-${k}`, occurred, expires));
    }
    await backend.writeBatch(batch);
  }
}

/** Purges chunk by chunk, as core does, until a chunk says it is done: every chunk's result. */
async function purgeChunks(backend: SqliteBackend, request: PurgeRequest): Promise<PurgeResult[]> {
  const chunks: PurgeResult[] = [];
  for (let done = false; !done; ) {
    const chunk = await backend.purgeExpired(request);
    chunks.push(chunk);
    done = chunk.done;
  }
  return chunks;
}

/** Events the chunks removed. */
const deletedBy = (chunks: readonly PurgeResult[]) =>
  chunks.reduce((n, c) => n + c.deletedEvents, 0);

/** Rows of event_ids whose event is gone: a purge must leave none. */
function orphanIds(filename: string): number {
  const conn = new Database(filename, { readonly: true });
  try {
    return conn
      .prepare(
        'SELECT count(*) FROM event_ids x LEFT JOIN events e ON e.sid = x.sid AND e.seq = x.seq WHERE e.seq IS NULL',
      )
      .pluck()
      .get() as number;
  } finally {
    conn.close();
  }
}

/**
 * `expiries` rows, those whose event is gone, and events with an expiry but no row: the last
 * two are 0 after a purge.
 */
function expiryRows(filename: string): { rows: number; orphans: number; missing: number } {
  const conn = new Database(filename, { readonly: true });
  try {
    const count = (sql: string) => conn.prepare(sql).pluck().get() as number;
    return {
      rows: count('SELECT count(*) FROM expiries'),
      orphans: count(
        'SELECT count(*) FROM expiries x WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.pos = x.pos)',
      ),
      missing: count(
        'SELECT count(*) FROM events e WHERE e.expires_at_ms IS NOT NULL AND NOT EXISTS ' +
          '(SELECT 1 FROM expiries x WHERE x.expires_at_ms = e.expires_at_ms AND x.pos = e.pos)',
      ),
    };
  } finally {
    conn.close();
  }
}

describe.each(SLICES)('purgeExpired (SQLite), $slices', (slices) => {
  beforeEach(() => {
    purgeSliceMs = slices.purgeSliceMs;
  });

  it('takes runs of 16 of a session in seq order when expiries interleave across sessions', async () => {
    const { backend, filename } = open();
    // Event k of every session expires at the same instant: in expiry order alone, 100
    // victims would be one event in each of 100 sessions.
    for (let n = 0; n < 100; n++) {
      await fill(backend, `s${n}`, 20, (k) => ({ occurred: T0 + k, expires: T0 + 1000 + k }));
    }
    const chunk = await backend.purgeExpired({ now: T0 + 1_000_000, limit: 100 });
    // The first 16 events of six sessions and 4 of a seventh, each session counted once
    // however many slices took it.
    expect(chunk).toEqual({ deletedEvents: 100, sessions: 7, done: false });
    // (Stored events, expired ones included: reads never yield those.)
    const stored = async (name: string) => (await backend.getSession(name))?.eventCount;
    expect([
      await stored('s0'),
      await stored('s5'),
      await stored('s6'),
      await stored('s7'),
    ]).toEqual([4, 4, 16, 20]);
    const total =
      chunk.deletedEvents +
      deletedBy(await purgeChunks(backend, { now: T0 + 1_000_000, limit: 100 }));
    expect(total).toBe(2000);
    expect(orphanIds(filename)).toBe(0);
  });

  it('deletes expiries rows whose event is gone (a purge stopped between its steps)', async () => {
    const { backend, filename } = open();
    const now = T0 + 1_000_000;
    await fill(backend, 'a', 300, (k) => ({ occurred: T0 + k, expires: T0 + 1000 + k }));
    // Not expired at the purge's `now`, nor when read (reads use the clock).
    await fill(backend, 'b', 10, (k) => ({ occurred: T0 + k, expires: Date.now() + 86_400_000 }));
    // The events a's first 200 expiries point at go, their rows stay: as after a crash
    // between a chunk's event slices and its expiries slices.
    const conn = new Database(filename);
    conn
      .prepare(
        'DELETE FROM events WHERE sid = (SELECT sid FROM session_state WHERE name = ?) AND seq <= 200',
      )
      .run('a');
    conn.close();
    expect(expiryRows(filename)).toEqual({ rows: 310, orphans: 200, missing: 0 });
    // The other 100 expired events of a go, b's (not expired) stay, and no row is left over.
    expect(deletedBy(await purgeChunks(backend, { now, limit: 1000 }))).toBe(100);
    expect(await seqs(backend, 'a')).toEqual([]);
    expect((await seqs(backend, 'b')).length).toBe(10);
    expect(expiryRows(filename)).toEqual({ rows: 10, orphans: 0, missing: 0 });
  });

  it("deleteSession deletes the session's expiries rows, and only those", async () => {
    const { backend, filename } = open();
    await fill(backend, 'a', 150, (k) => ({ occurred: T0 + k, expires: T0 + 1000 + k }));
    await fill(backend, 'b', 20, (k) => ({ occurred: T0 + k, expires: T0 + 1000 + k }));
    expect(await backend.deleteSession('a')).toEqual({ deletedEvents: 150 });
    expect(expiryRows(filename)).toEqual({ rows: 20, orphans: 0, missing: 0 });
  });

  it('removes what expired up to `now` only, in every session, to the millisecond', async () => {
    const { backend } = open();
    const base = T0 + 60 * 60_000;
    // Per session: seven expiries, interleaved with the other sessions' in expiry order.
    const offsets = [-30_000, 5_000, 15_000, 25_000, 35_000, 45_000, 90_000];
    for (const name of ['x', 'y', 'z']) {
      await fill(backend, name, offsets.length, (k) => ({
        occurred: T0,
        expires: base + offsets[k - 1]!,
      }));
    }
    const purgeAt = async (now: number) =>
      deletedBy(await purgeChunks(backend, { now, limit: 1000 }));
    // Expired at `now` means at or before it: 25 s is gone, 35 s stays.
    expect(await purgeAt(base + 25_000)).toBe(12);
    const stored = async (name: string) => (await backend.getSession(name))?.eventCount;
    expect([await stored('x'), await stored('y'), await stored('z')]).toEqual([3, 3, 3]);
    expect(await purgeAt(base + 59_999)).toBe(6);
    expect(await purgeAt(base + 89_999)).toBe(0);
    expect(await purgeAt(base + 90_000)).toBe(3);
    expect([await stored('x'), await stored('y'), await stored('z')]).toEqual([0, 0, 0]);
  });

  it('removes expired events in chunks of at most `limit`, keeping last seqs and cleaning event_ids', async () => {
    const { backend, filename } = open();
    const now = T0 + 1_000_000;
    // 2,500 expired events over three sessions (sealed blocks included), then live ones.
    for (const [name, n] of [
      ['a', 1000],
      ['b', 1000],
      ['c', 500],
    ] as const) {
      await fill(backend, name, n, (k) => ({ occurred: T0 + k, expires: T0 + 1000 + k }));
    }
    // Not expired at the purge's `now`, nor when read (reads use the clock).
    await fill(backend, 'live', 200, (k) => ({
      occurred: T0 + k,
      expires: Date.now() + 86_400_000,
    }));
    await backend.writeBatch([prepared('a', 'a-live', T0)]);
    const before = await backend.getSession('a');

    const chunks = await purgeChunks(backend, { now, limit: 1000 });
    // At most `limit` each (fewer when a chunk's time budget ran out), done only at the end.
    expect(chunks.every((c) => c.deletedEvents >= 1 && c.deletedEvents <= 1000)).toBe(true);
    expect(deletedBy(chunks)).toBe(2500);
    expect(chunks.map((c) => c.done)).toEqual([...chunks.slice(1).map(() => false), true]);
    expect(await seqs(backend, 'a')).toEqual([1001]);
    expect(await seqs(backend, 'c')).toEqual([]);
    expect((await seqs(backend, 'live')).length).toBe(200);
    expect(orphanIds(filename)).toBe(0);
    // The removed events' expiries went with them; the live ones' stay.
    expect(expiryRows(filename)).toEqual({ rows: 200, orphans: 0, missing: 0 });
    // Last seqs and update times stay; counts drop; an emptied session still exists.
    expect(await backend.getSession('a')).toEqual({ ...before, eventCount: 1 });
    expect(await backend.getSession('c')).toMatchObject({ lastSeq: 500, eventCount: 0 });
    // Nothing left: a chunk finds nothing and says so.
    expect(await backend.purgeExpired({ now, limit: 1000 })).toEqual({
      deletedEvents: 0,
      sessions: 0,
      done: true,
    });
  });

  it('a purged id appended again is a new event, after the last seq', async () => {
    const { backend } = open();
    await fill(backend, 's', 130, (k) => ({
      occurred: T0 + k,
      expires: k === 130 || k === 5 ? T0 : undefined,
    }));
    while (!(await backend.purgeExpired({ now: T0, limit: 100 })).done);
    const again = await backend.writeBatch([
      prepared('s', 's-130', T0),
      prepared('s', 's-5', T0),
      prepared('s', 's-6', T0),
    ]);
    expect(again.map((r) => ('seq' in r ? [r.seq, r.duplicate] : r))).toEqual([
      [131, false],
      [132, false],
      [6, true],
    ]);
  });

  it('maxEventsPerSession keeps the newest of each session, in bounded chunks', async () => {
    const { backend, filename } = open();
    await fill(backend, 'a', 300, (k) => ({ occurred: T0 + k }));
    await fill(backend, 'b', 50, (k) => ({ occurred: T0 + k }));
    await fill(backend, 'c', 10, (k) => ({ occurred: T0 + k }));
    const counts = (
      await purgeChunks(backend, { now: T0, limit: 100, maxEventsPerSession: 40 })
    ).map((c) => c.deletedEvents);
    expect(counts.every((n) => n >= 1 && n <= 100)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(270);
    expect(await seqs(backend, 'a')).toEqual(Array.from({ length: 40 }, (_, i) => 261 + i));
    expect(await seqs(backend, 'b')).toEqual(Array.from({ length: 40 }, (_, i) => 11 + i));
    expect((await seqs(backend, 'c')).length).toBe(10);
    expect(await backend.getSession('a')).toMatchObject({ lastSeq: 300, eventCount: 40 });
    expect(orphanIds(filename)).toBe(0);
  });

  it('maxAgeMs removes exactly the old events, out-of-order ones in later blocks included', async () => {
    const { backend } = open();
    const old = new Set([150, 290, 299]);
    // Events 1..100 are old by time; so are three stragglers in later blocks and the tail.
    await fill(backend, 's', 300, (k) => ({
      occurred: k <= 100 || old.has(k) ? T0 : T0 + 10_000 + k,
    }));
    const now = T0 + 10_000;
    expect(deletedBy(await purgeChunks(backend, { now, limit: 30, maxAgeMs: 5_000 }))).toBe(103);
    const expected = Array.from({ length: 200 }, (_, i) => i + 101).filter((k) => !old.has(k));
    expect(await seqs(backend, 's')).toEqual(expected);
    expect(await backend.getSession('s')).toMatchObject({ lastSeq: 300, eventCount: 197 });
  });

  it('the retention walk resumes where a chunk stopped and covers every session', async () => {
    const { backend } = open();
    for (let s = 0; s < 20; s++) await fill(backend, `s${s}`, 5, (k) => ({ occurred: T0 + k }));
    const chunks = await purgeChunks(backend, { now: T0, limit: 7, maxEventsPerSession: 2 });
    // 20 sessions x 3 events, 7 at a time.
    expect(deletedBy(chunks)).toBe(60);
    expect(chunks.every((c) => c.deletedEvents <= 7)).toBe(true);
    for (let s = 0; s < 20; s++) expect(await seqs(backend, `s${s}`)).toEqual([4, 5]);
  });

  it("removes a retention victim's expiries row with it, and keeps the kept events' rows", async () => {
    const { backend, filename } = open();
    // 100 events expiring in a day: the newest 40 stay under maxEventsPerSession.
    await fill(backend, 's', 100, (k) => ({ occurred: T0 + k, expires: T0 + 86_400_000 }));
    const chunks = await purgeChunks(backend, { now: T0, limit: 25, maxEventsPerSession: 40 });
    expect(deletedBy(chunks)).toBe(60);
    expect(expiryRows(filename)).toEqual({ rows: 40, orphans: 0, missing: 0 });
  });

  it('counts expired events of a session towards its excess: never fewer than the newest N', async () => {
    const { backend } = open();
    // 50 events, every fifth expired: removing those leaves 40, the cap, and no excess.
    await fill(backend, 's', 50, (k) => ({
      occurred: T0 + k,
      expires: k % 5 === 0 ? T0 : undefined,
    }));
    const chunks = await purgeChunks(backend, { now: T0, limit: 1000, maxEventsPerSession: 40 });
    expect(deletedBy(chunks)).toBe(10);
    expect(await seqs(backend, 's')).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1).filter((k) => k % 5 !== 0),
    );
  });
});

describe('purgeExpired (SQLite) in slices', () => {
  it('lets appends through between the slices of a chunk, their seqs after the last', async () => {
    const opened = openBackend({ purgeSliceMs: 0 });
    cleanups.push(opened.cleanup);
    const { backend, filename } = opened;
    await fill(backend, 's', 600, (k) => ({ occurred: T0 + k, expires: T0 + 1000 }));
    let settled = false;
    // One chunk of 600 victims: 16-event slices, the event loop turning between them.
    const purge = backend.purgeExpired({ now: T0 + 1_000_000, limit: 1000 }).finally(() => {
      settled = true;
    });
    const late = [];
    for (let i = 1; i <= 5; i++) {
      late.push(...(await backend.writeBatch([prepared('s', `late-${i}`, Date.now())])));
    }
    // The appends did not wait for the chunk: it has slices left.
    expect(settled).toBe(false);
    expect(await purge).toMatchObject({ deletedEvents: 600, sessions: 1 });
    expect(late.map((r) => ('seq' in r ? r.seq : r))).toEqual([601, 602, 603, 604, 605]);
    expect(await seqs(backend, 's')).toEqual([601, 602, 603, 604, 605]);
    expect(await backend.getSession('s')).toMatchObject({ lastSeq: 605, eventCount: 5 });
    expect(orphanIds(filename)).toBe(0);
  });
});
