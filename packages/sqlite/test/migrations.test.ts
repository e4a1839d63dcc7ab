import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { envelope } from '@history/contract-tests';
import { SchemaVersionError } from '@history/core';
import { idHash } from '@history/core/backend';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../src/migrate.js';
import { loadMigrations } from '../src/migrations.js';
import { createSqliteHistoryStore } from '../src/store.js';
import { tempDb } from './temp-db.js';

const tables = (db: Database.Database) =>
  (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name",
      )
      .all() as {
      name: string;
    }[]
  ).map((t) => t.name);

describe('migrations', () => {
  let db: ReturnType<typeof tempDb>;
  afterEach(() => db?.cleanup());

  it('ships the repo migrations, numbered from 1', () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(migrations[0]!.name).toBe('0001_init.sql');
  });

  it('creates the schema on open, in WAL mode, versioned in user_version', async () => {
    db = tempDb();
    const store = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    await store.close();
    const conn = new Database(db.filename, { readonly: true });
    expect(conn.pragma('user_version', { simple: true })).toBe(loadMigrations().at(-1)!.version);
    expect(conn.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(tables(conn)).toEqual([
      'checkpoints',
      'event_ids',
      'events',
      'expiries',
      'feed_state',
      'session_state',
      'time_blocks',
    ]);
    conn.close();
  });

  it('is idempotent on reopen and keeps the data', async () => {
    db = tempDb();
    const first = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    await first.append(envelope(1, { id: 'a', sessionId: 's' }));
    await first.close();
    const conn = new Database(db.filename);
    expect(migrate(conn)).toBe(loadMigrations().at(-1)!.version);
    conn.close();
    const second = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    const result = await second.append(envelope(2, { id: 'b', sessionId: 's' }));
    expect(result.seq).toBe(2);
    await second.close();
  });

  it('refuses a database written by a newer schema version', async () => {
    db = tempDb();
    const conn = new Database(db.filename);
    conn.pragma('user_version = 999');
    conn.close();
    const opening = createSqliteHistoryStore({ filename: db.filename, worker: false });
    await expect(opening).rejects.toSatisfy((e) => SchemaVersionError.isInstance(e));
    await expect(opening).rejects.toMatchObject({ code: 'HISTORY_SCHEMA_VERSION', found: 999 });
  });

  it('applies pending migrations in one transaction: a failing one leaves the database untouched', () => {
    db = tempDb();
    const dir = join(db.dir, 'migrations');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (x INTEGER); THIS IS NOT SQL;');
    const conn = new Database(db.filename);
    expect(() => migrate(conn, loadMigrations(pathToFileURL(`${dir}/`)))).toThrow();
    expect(conn.pragma('user_version', { simple: true })).toBe(0);
    expect(tables(conn)).toEqual([]);
    // Only the good migration: applied, then a no-op the second time.
    writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (x INTEGER);');
    expect(migrate(conn, loadMigrations(pathToFileURL(`${dir}/`)))).toBe(2);
    expect(migrate(conn, loadMigrations(pathToFileURL(`${dir}/`)))).toBe(2);
    expect(tables(conn)).toEqual(['a', 'b']);
    conn.close();
  });

  it('0003 rebuilds events on the (sid, seq, id_hash) index and fills event_ids with the sealed seqs', async () => {
    db = tempDb();
    const conn = new Database(db.filename);
    migrate(
      conn,
      loadMigrations().filter((m) => m.version <= 2),
    );
    const insert = conn.prepare(
      'INSERT INTO events (sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const sizes = { big: 2 * 128 + 10, small: 5, edge: 128 };
    conn.transaction(() => {
      for (const [name, count] of Object.entries(sizes)) {
        const sid = conn
          .prepare('INSERT INTO sessions (name) VALUES (?) RETURNING sid')
          .pluck()
          .get(name);
        for (let seq = 1; seq <= count; seq++) {
          const id = `${name}-${seq}`;
          const json = JSON.stringify({
            id,
            type: 't',
            occurredAt: '2026-01-01T00:00:00.000Z',
            payload: seq,
          });
          insert.run(sid, seq, idHash(id), id, Date.UTC(2026, 0, 1), 0, json);
        }
      }
    })();
    conn.close();

    const store = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    // Old ids, sealed and in the tail, are duplicates; new ones continue the seqs.
    const retried = await store.appendMany([
      ...[1, 128, 256, 257, 266].map((seq) =>
        envelope(seq, { id: `big-${seq}`, sessionId: 'big' }),
      ),
      envelope(5, { id: 'small-5', sessionId: 'small' }),
      envelope(128, { id: 'edge-128', sessionId: 'edge' }),
      envelope(267, { id: 'big-new', sessionId: 'big' }),
      envelope(129, { id: 'edge-new', sessionId: 'edge' }),
    ]);
    expect(retried.map((r) => [r.sessionId, r.seq, r.duplicate])).toEqual([
      ['big', 1, true],
      ['big', 128, true],
      ['big', 256, true],
      ['big', 257, true],
      ['big', 266, true],
      ['small', 5, true],
      ['edge', 128, true],
      ['big', 267, false],
      ['edge', 129, false],
    ]);
    const seqs: number[] = [];
    for await (const r of store.stream('big')) seqs.push(r.seq);
    expect(seqs).toEqual(Array.from({ length: 267 }, (_, i) => i + 1));
    await store.close();

    const after = new Database(db.filename, { readonly: true });
    expect(
      after
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name",
        )
        .pluck()
        .all(),
    ).toEqual(['events_by_seq']);
    expect(
      after
        .prepare(
          'SELECT s.name AS name, count(*) AS n, max(x.seq) AS hi FROM event_ids x JOIN session_state s ON s.sid = x.sid GROUP BY s.name ORDER BY s.name',
        )
        .all(),
    ).toEqual([
      { name: 'big', n: 256, hi: 256 },
      { name: 'edge', n: 128, hi: 128 },
    ]);
    after.close();
  });
});
