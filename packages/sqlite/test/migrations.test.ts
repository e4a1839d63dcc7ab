import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SchemaVersionError } from '@history/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../src/migrate.js';
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
    expect(tables(conn)).toEqual(['checkpoints', 'events', 'sessions', 'time_blocks']);
    conn.close();
  });

  it('is idempotent on reopen and keeps the data', async () => {
    db = tempDb();
    const first = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    await first.append({
      id: 'a',
      type: 't',
      occurredAt: '2026-01-01T00:00:00Z',
      payload: 1,
      sessionId: 's',
    });
    await first.close();
    const conn = new Database(db.filename);
    expect(migrate(conn)).toBe(loadMigrations().at(-1)!.version);
    conn.close();
    const second = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    const result = await second.append({
      id: 'b',
      type: 't',
      occurredAt: '2026-01-01T00:00:00Z',
      payload: 2,
      sessionId: 's',
    });
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
});
