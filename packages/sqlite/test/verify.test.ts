import { existsSync, statSync, writeFileSync } from 'node:fs';
import { envelope, envelopes } from '@history/contract-tests';
import {
  type IntegrityReport,
  InvalidArgumentError,
  SchemaVersionError,
  StorageError,
} from '@history/core';
import { idHash } from '@history/core/backend';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
// The built package: the default (worker) mode loads its worker file from dist.
import { createSqliteHistoryStore } from '../dist/index.js';
import { verifySqliteStore } from '../src/index.js';
import { tempDb } from './temp-db.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function newDb(): string {
  const db = tempDb();
  cleanups.push(db.cleanup);
  return db.filename;
}

/** Expired since 2020: occurred then, lived a second. */
const EXPIRED = { occurredAt: '2020-01-01T00:00:00.000Z', ttlMs: 1000 };

/**
 * A store that went through what a healthy store does: sealed blocks (event_ids,
 * time_blocks), single and bulk appends, deletes (one recreated across a block boundary),
 * expired events purged, the retention cap purging a session's oldest events, checkpoints
 * (one of a session without events). 550 + 5 + 4 + 60 + 230 + 1 = 850 events in 6 sessions.
 */
async function healthyStore(filename: string): Promise<void> {
  const store = await createSqliteHistoryStore({
    filename,
    worker: false,
    retention: { maxEventsPerSession: 550, intervalMs: 3_600_000 },
  });
  await store.appendMany(envelopes(600, { sessionId: 'long' }));
  for (let i = 1; i <= 5; i++) await store.append(envelope(i, { sessionId: 'single' }));
  await store.appendMany(envelopes(5, { sessionId: 'gone' }));
  await store.checkpoint('gone', { at: 5 }, { seq: 5 });
  await store.deleteSession('gone');
  await store.appendMany(envelopes(3, { sessionId: 'again' }));
  await store.deleteSession('again');
  await store.appendMany(envelopes(4, { sessionId: 'again' }, 10));
  await store.appendMany(envelopes(100, { sessionId: 'reborn' }));
  await store.deleteSession('reborn');
  await store.appendMany(envelopes(60, { sessionId: 'reborn' }, 101));
  await store.appendMany([
    ...envelopes(300, { sessionId: 'purged', ...EXPIRED }),
    ...envelopes(200, { sessionId: 'purged' }, 301),
  ]);
  expect(await store.purgeExpired()).toMatchObject({ deletedEvents: 350, done: true });
  await store.appendMany(envelopes(30, { sessionId: 'purged' }, 501));
  await store.append(envelope(1, { sessionId: 'ttl', ttlMs: 10 * 365 * 86_400_000 }));
  await store.checkpoint('long', { position: 'x' }, { seq: 600 });
  await store.checkpoint('no-events', { only: 'a checkpoint' });
  await store.close();
}

/** A read-write connection for planting damage (foreign keys off: orphans are planted too). */
function raw<T>(filename: string, change: (db: Database.Database) => T): T {
  const db = new Database(filename);
  db.pragma('foreign_keys = OFF');
  try {
    return change(db);
  } finally {
    db.close();
  }
}

const sidOf = (db: Database.Database, name: string) =>
  db.prepare('SELECT sid FROM session_state WHERE name = ?').pluck().get(name) as number;
const posOf = (db: Database.Database, name: string, seq: number) =>
  db
    .prepare('SELECT pos FROM events WHERE sid = ? AND seq = ?')
    .pluck()
    .get(sidOf(db, name), seq) as number;

/** Row counts of every table. */
function counts(filename: string): Record<string, number> {
  const db = new Database(filename, { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number]),
    );
  } finally {
    db.close();
  }
}

const sorted = (report: IntegrityReport) =>
  [...report.problems].sort(
    (a, b) =>
      (a.sessionId ?? '').localeCompare(b.sessionId ?? '') || a.location.localeCompare(b.location),
  );

describe('verifySqliteStore', () => {
  it('reports nothing on a healthy store: deletes, recreation, purges, retention, checkpoints', async () => {
    const filename = newDb();
    await healthyStore(filename);
    const report = await verifySqliteStore({ filename });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ sessions: 6, events: 850 });
  });

  it('modifies nothing: the database file keeps its size and time, every table its rows', async () => {
    const filename = newDb();
    await healthyStore(filename);
    // A gap too: verify reports it and changes nothing.
    raw(filename, (db) =>
      db.prepare('DELETE FROM events WHERE pos = ?').run(posOf(db, 'single', 3)),
    );
    const before = { ...statSync(filename) };
    const rows = counts(filename);
    const report = await verifySqliteStore({ filename });
    expect(report.problems.map((p) => p.kind)).toEqual(['seq-gap']);
    const after = statSync(filename);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect(counts(filename)).toEqual(rows);
    // SQLite may create the WAL's shared-memory index beside the file; the WAL stays empty.
    if (existsSync(`${filename}-wal`)) expect(statSync(`${filename}-wal`).size).toBe(0);
  });

  it('verifies on a read-only connection while a store writes to the file (worker threads)', async () => {
    const filename = newDb();
    await healthyStore(filename);
    const store = await createSqliteHistoryStore({ filename });
    try {
      await store.appendMany(envelopes(300, { sessionId: 'open' }));
      const report = await verifySqliteStore({ filename });
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ sessions: 7, events: 850 + 300 });
      // The store goes on writing, beside a read transaction of the verification.
      const running = verifySqliteStore({ filename });
      await store.append(envelope(301, { sessionId: 'open' }));
      expect((await running).problems).toEqual([]);
    } finally {
      await store.close();
    }
    expect((await verifySqliteStore({ filename })).events).toBe(850 + 301);
  });

  it('detects a missing index entry (integrity_check, event_ids, expiries) and a seq gap planted by SQL', async () => {
    const filename = newDb();
    await healthyStore(filename);
    const planted = raw(filename, (db) => {
      const long = sidOf(db, 'long');
      const pos = posOf(db, 'single', 3);
      db.prepare('DELETE FROM events WHERE pos = ?').run(pos);
      db.prepare('DELETE FROM event_ids WHERE sid = ? AND seq = 100').run(long);
      const expiring = posOf(db, 'ttl', 1);
      db.prepare('DELETE FROM expiries WHERE pos = ?').run(expiring);
      // A partial index whose condition now also claims long's seq 200, which has no expiry:
      // its entry is missing (as a lost index write would leave it).
      db.exec('CREATE INDEX planted ON events (pos) WHERE expires_at_ms IS NOT NULL');
      const missing = posOf(db, 'long', 200);
      db.unsafeMode(true);
      db.pragma('writable_schema = ON');
      db.prepare("UPDATE sqlite_schema SET sql = sql || ' OR pos = ' || ? WHERE name = ?").run(
        missing,
        'planted',
      );
      return { long, missing, expiring, next: posOf(db, 'single', 4), ttl: sidOf(db, 'ttl') };
    });
    const report = await verifySqliteStore({ filename });
    const integrity = report.problems.filter((p) => p.location === 'PRAGMA integrity_check');
    expect(integrity).toEqual([
      {
        kind: 'index-mismatch',
        location: 'PRAGMA integrity_check',
        // SQLite numbers rows in table order: long's seqs 1..50 were purged.
        message: `row ${planted.missing - 50} missing from index planted`,
      },
    ]);
    expect(sorted(report).filter((p) => p.location !== 'PRAGMA integrity_check')).toEqual([
      {
        kind: 'index-mismatch',
        sessionId: 'long',
        seq: 100,
        location: `event_ids sid=${planted.long} seq=100`,
        message: expect.stringContaining('has no event_ids row'),
      },
      {
        kind: 'seq-gap',
        sessionId: 'single',
        seq: 3,
        location: `events pos=${planted.next}`,
        message: 'seq 3 is missing, and session_state records no purge',
      },
      {
        kind: 'index-mismatch',
        sessionId: 'ttl',
        seq: 1,
        location: `expiries pos=${planted.expiring}`,
        message: expect.stringContaining('has no expiries row'),
      },
    ]);
  });
});

describe('verifySqliteStore: what and where', () => {
  it('envelopes: unparseable, invalid, stored under another id, columns disagreeing with them', async () => {
    const filename = newDb();
    await healthyStore(filename);
    const pos = raw(filename, (db) => {
      const [a, b, c, d, e] = [1, 2, 3, 4, 5].map((seq) => posOf(db, 'single', seq)) as [
        number,
        number,
        number,
        number,
        number,
      ];
      const at = [a, b, c, d, e] as const;
      const set = (column: string, value: unknown, p: number) =>
        db.prepare(`UPDATE events SET ${column} = ? WHERE pos = ?`).run(value, p);
      set('json', '{"id":"evt-1",', at[0]);
      db.prepare(
        `UPDATE events SET json = replace(json, '"occurredAt":"', '"occurredAt":"x') WHERE pos = ?`,
      ).run(at[1]);
      set('id', 'other', at[2]);
      db.prepare('UPDATE events SET occurred_at_ms = occurred_at_ms + 1 WHERE pos = ?').run(at[3]);
      set('expires_at_ms', 5, at[4]);
      // With its expiries row, as a writer would have added it: only the column disagrees.
      db.prepare('INSERT INTO expiries (expires_at_ms, pos) VALUES (5, ?)').run(at[4]);
      return at;
    });
    const report = await verifySqliteStore({ filename });
    expect(report.problems).toEqual([
      {
        kind: 'invalid-json',
        sessionId: 'single',
        seq: 1,
        location: `events pos=${pos[0]}`,
        message: expect.stringMatching(/^the envelope does not parse as JSON/),
      },
      {
        kind: 'invalid-json',
        sessionId: 'single',
        seq: 2,
        location: `events pos=${pos[1]}`,
        message: expect.stringMatching(/^Invalid envelope: occurredAt: expected an ISO-8601/),
      },
      {
        kind: 'index-mismatch',
        sessionId: 'single',
        seq: 3,
        location: `events pos=${pos[2]}`,
        message: expect.stringMatching(/^id_hash \d+ is not the hash of the id/),
      },
      {
        kind: 'invalid-json',
        sessionId: 'single',
        seq: 3,
        location: `events pos=${pos[2]}`,
        message: `the envelope's id "evt-3" is not the id it is stored under, "other"`,
      },
      {
        kind: 'invalid-json',
        sessionId: 'single',
        seq: 4,
        location: `events pos=${pos[3]}`,
        message: expect.stringMatching(/^occurred_at_ms \d+ is not the envelope's occurredAt/),
      },
      {
        kind: 'invalid-json',
        sessionId: 'single',
        seq: 5,
        location: `events pos=${pos[4]}`,
        message: "expires_at_ms 5 is not the envelope's expiry (null)",
      },
    ]);
  });

  it('a seq stored twice, an id stored twice, feed positions out of seq order', async () => {
    const filename = newDb();
    await healthyStore(filename);
    const planted = raw(filename, (db) => {
      const single = sidOf(db, 'single');
      const top = db.prepare('SELECT max(pos) FROM events').pluck().get() as number;
      const copy = (pos: number, seq: number, newPos: number) =>
        db
          .prepare(
            'INSERT INTO events (pos, sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json, expires_at_ms) ' +
              'SELECT ?, sid, ?, id_hash, id, occurred_at_ms, created_at_ms, json, expires_at_ms FROM events WHERE pos = ?',
          )
          .run(newPos, seq, pos);
      copy(posOf(db, 'single', 5), 5, top + 1);
      copy(posOf(db, 'single', 2), 6, top + 2);
      // long's seq 100 moves to the end of the feed, after seq 101.
      const hundred = posOf(db, 'long', 100);
      db.prepare('UPDATE events SET pos = ? WHERE pos = ?').run(top + 3, hundred);
      return { single, top, next: posOf(db, 'long', 101) };
    });
    const report = await verifySqliteStore({ filename });
    expect(sorted(report)).toEqual([
      {
        kind: 'seq-order',
        sessionId: 'long',
        seq: 101,
        location: `events pos=${planted.next}`,
        message: `seq 101 has feed position ${planted.next}, not after seq 100's ${planted.top + 3}: the feed would yield the session out of seq order`,
      },
      {
        kind: 'duplicate',
        sessionId: 'single',
        seq: 5,
        location: `events pos=${planted.top + 1}`,
        message: expect.stringMatching(/^seq 5 is stored twice \(also at pos \d+\)$/),
      },
      {
        kind: 'duplicate',
        sessionId: 'single',
        seq: 6,
        location: `events pos=${planted.top + 2}`,
        message: 'event id "evt-2" is stored again (first at seq 2)',
      },
    ]);
  });

  it('summaries, time blocks, sealed ids, orphans, checkpoints, the feed state', async () => {
    const filename = newDb();
    await healthyStore(filename);
    const sid = raw(filename, (db) => {
      const sids = {
        long: sidOf(db, 'long'),
        single: sidOf(db, 'single'),
        purged: sidOf(db, 'purged'),
        gone: sidOf(db, 'gone'),
        reborn: sidOf(db, 'reborn'),
      };
      // purged: one more row gone than its 300 purged (of its unsealed tail: no event_ids
      // row); single: a purge it never had.
      db.prepare('DELETE FROM events WHERE pos = ?').run(posOf(db, 'purged', 520));
      db.prepare('UPDATE session_state SET purged_events = 1 WHERE sid = ?').run(sids.single);
      // gone: a deleted session holding an event; reborn: an event of its deleted life.
      db.prepare(
        'INSERT INTO events (sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) ' +
          `SELECT ?, 6, id_hash, id, occurred_at_ms, created_at_ms, replace(json, '"single"', '"gone"') FROM events WHERE pos = ?`,
      ).run(sids.gone, posOf(db, 'single', 1));
      const rebornPos = posOf(db, 'reborn', 101);
      db.prepare(
        'INSERT INTO events (pos, sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) ' +
          `SELECT ?, sid, 50, ?, 'old', occurred_at_ms, created_at_ms, replace(json, '"evt-101"', '"old"') FROM events WHERE pos = ?`,
      ).run(rebornPos - 1, idHash('old'), rebornPos);
      db.prepare('INSERT INTO event_ids (sid, id_hash, seq) VALUES (?, ?, 50)').run(
        sids.reborn,
        idHash('old'),
      );
      // long: a time block too narrow; an event_ids row for no event.
      db.prepare('UPDATE time_blocks SET max_ms = min_ms WHERE sid = ? AND block = 1').run(
        sids.long,
      );
      db.prepare('INSERT INTO event_ids (sid, id_hash, seq) VALUES (?, 7, 700)').run(sids.long);
      // Rows of a sid session_state does not have; a checkpoint that does not parse.
      db.prepare(
        "INSERT INTO events (sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) VALUES (999, 1, 1, 'x', 0, 0, '{}')",
      ).run();
      db.prepare("UPDATE checkpoints SET json = '{oops' WHERE sid = ?").run(sids.long);
      db.prepare('DELETE FROM feed_state').run();
      return { ...sids, rebornPos };
    });
    const report = await verifySqliteStore({ filename });
    const expected = [
      {
        kind: 'metadata-mismatch',
        location: 'events sid=999',
        message: 'rows of sid 999, which session_state does not have',
      },
      {
        kind: 'metadata-mismatch',
        location: 'feed_state id=1',
        message: expect.stringContaining('is missing'),
      },
      {
        kind: 'metadata-mismatch',
        sessionId: 'gone',
        location: `session_state sid=${sid.gone}`,
        message: expect.stringMatching(/^1 events are stored, but the session does not exist/),
      },
      {
        kind: 'invalid-json',
        sessionId: 'long',
        location: `checkpoints sid=${sid.long}`,
        message: expect.stringMatching(/^the checkpoint's payload does not parse as JSON/),
      },
      {
        kind: 'index-mismatch',
        sessionId: 'long',
        seq: 700,
        location: `event_ids sid=${sid.long} seq=700`,
        message: 'the event_ids row (id_hash 7) matches no stored event of a sealed block',
      },
      {
        kind: 'index-mismatch',
        sessionId: 'long',
        seq: 130,
        location: `time_blocks sid=${sid.long} block=1`,
        message: expect.stringMatching(/^seq 130 occurred at \d+, outside its block's bounds/),
      },
      {
        kind: 'seq-gap',
        sessionId: 'purged',
        location: `session_state sid=${sid.purged}`,
        message:
          'session_state accounts for 230 events (last seq 530 - seq_base 0 - purged_events 300), 229 are stored: 1 missing',
      },
      {
        kind: 'metadata-mismatch',
        sessionId: 'reborn',
        seq: 50,
        location: `events pos=${sid.rebornPos - 1}`,
        message: "seq 50 is at or below seq_base 100: it belongs to the session's deleted life",
      },
      {
        kind: 'metadata-mismatch',
        sessionId: 'single',
        location: `session_state sid=${sid.single}`,
        message:
          'session_state accounts for 4 events (last seq 5 - seq_base 0 - purged_events 1), 5 are stored',
      },
    ];
    expect(sorted(report)).toEqual(expected);
  });
});

describe('verifySqliteStore: options and errors', () => {
  it('refuses bad options naming the field', async () => {
    const filename = newDb();
    const field = async (options: unknown) => {
      const error = await verifySqliteStore(options as { filename: string }).catch((e) => e);
      expect(InvalidArgumentError.isInstance(error)).toBe(true);
      return (error as InvalidArgumentError).field;
    };
    expect(await field(undefined)).toBe('options');
    expect(await field({})).toBe('options.filename');
    expect(await field({ filename: ':memory:' })).toBe('options.filename');
    expect(await field({ filename, maxProblems: 1.5 })).toBe('options.maxProblems');
    expect(await field({ filename, worker: false })).toBe('options.worker');
  });

  it('rejects a missing file, a file that is not a store, an older schema with StorageError; a newer one with SchemaVersionError', async () => {
    const filename = newDb();
    const storage = async (message: RegExp) => {
      const error = await verifySqliteStore({ filename }).catch((e) => e);
      expect(StorageError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    };
    await storage(/cannot open/);
    expect(existsSync(filename)).toBe(false);
    writeFileSync(filename, 'not a database, just text that is long enough to be read as one');
    await storage(/file is not a database/);
    raw(newDb(), () => {});
    const empty = newDb();
    raw(empty, (db) => db.exec('CREATE TABLE t (a)'));
    const error = await verifySqliteStore({ filename: empty }).catch((e) => e);
    expect((error as Error).message).toMatch(/is not a history store/);
    const store = newDb();
    await (await createSqliteHistoryStore({ filename: store, worker: false })).close();
    raw(store, (db) => db.pragma('user_version = 3'));
    expect(String(await verifySqliteStore({ filename: store }).catch((e) => e))).toMatch(
      /schema version 3; open it read-write once/,
    );
    raw(store, (db) => db.pragma('user_version = 99'));
    const newer = await verifySqliteStore({ filename: store }).catch((e) => e);
    expect(SchemaVersionError.isInstance(newer)).toBe(true);
  });

  it('reports progress every 10,000 events, stops collecting at maxProblems, aborts with the reason', async () => {
    const filename = newDb();
    const store = await createSqliteHistoryStore({ filename, worker: false });
    await store.appendMany(envelopes(25_000, { sessionId: 'big' }));
    for (let i = 0; i < 5; i++) await store.append(envelope(1, { sessionId: `s${i}` }));
    await store.close();
    const progress: number[] = [];
    const report = await verifySqliteStore({ filename, onProgress: (n) => progress.push(n) });
    expect(report).toEqual({ sessions: 6, events: 25_005, problems: [] });
    expect(progress).toEqual([10_000, 20_000, 25_005]);

    raw(filename, (db) => db.exec("UPDATE events SET json = '{' WHERE seq <= 5"));
    const capped = await verifySqliteStore({ filename, maxProblems: 2 });
    expect(capped.problems.map((p) => p.kind)).toEqual(['invalid-json', 'invalid-json']);
    expect(capped.events).toBe(25_005);

    const reason = new Error('stop');
    const controller = new AbortController();
    const stopped = verifySqliteStore({
      filename,
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    await expect(stopped).rejects.toBe(reason);
    await expect(verifySqliteStore({ filename, signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
  });
});
