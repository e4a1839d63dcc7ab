import { describe, expect, it } from 'vitest';
import { migrationSteps, runsOutsideTransaction } from '../src/migration-steps.js';
import { loadMigrations } from '../src/migrations.js';

describe('migrationSteps', () => {
  it('splits at lines ending with ";" outside $$ bodies, marks -- history:each and -- history:repeat steps, drops comments between', () => {
    const sql = [
      '-- header',
      '-- history:no-transaction',
      '',
      'SET lock_timeout = 1;',
      '-- a comment',
      'CREATE FUNCTION f() RETURNS int AS $$',
      'BEGIN; RETURN 1;',
      'END $$ LANGUAGE plpgsql;',
      '-- history:each',
      "SELECT 'CREATE INDEX CONCURRENTLY x ON t (a)'",
      'FROM t;',
      '-- history:repeat',
      'UPDATE t SET a = 1 WHERE a IS NULL;',
      '',
    ].join('\n');
    expect(migrationSteps(sql)).toEqual([
      {
        sql: 'SET lock_timeout = 1;',
        each: false,
        repeat: false,
        setting: { name: 'lock_timeout', value: '1' },
      },
      {
        sql: 'CREATE FUNCTION f() RETURNS int AS $$\nBEGIN; RETURN 1;\nEND $$ LANGUAGE plpgsql;',
        each: false,
        repeat: false,
      },
      { sql: "SELECT 'CREATE INDEX CONCURRENTLY x ON t (a)'\nFROM t;", each: true, repeat: false },
      { sql: 'UPDATE t SET a = 1 WHERE a IS NULL;', each: false, repeat: true },
    ]);
  });

  it('refuses a statement left without its ";"', () => {
    expect(() => migrationSteps('SELECT 1;\nSELECT 2\n')).toThrow(/does not end/);
  });

  it('reads SET and RESET as settings of the steps after them, SET ... TO and a dotted name too', () => {
    const steps = migrationSteps(
      "SET lock_timeout TO '2s';\nSET history.x = 'a b';\nRESET lock_timeout;\nSET LOCAL a = 1;\n",
    );
    expect(steps.map((s) => s.setting)).toEqual([
      { name: 'lock_timeout', value: "'2s'" },
      { name: 'history.x', value: "'a b'" },
      { name: 'lock_timeout' },
      undefined, // SET LOCAL: a plain statement, in its own transaction like any other
    ]);
  });

  it('refuses a statement that must run outside a transaction unless a history:each query builds it', () => {
    // Run alone, it could not get the schema's search_path through a transaction pooler.
    expect(() => migrationSteps('CREATE INDEX CONCURRENTLY IF NOT EXISTS x ON t (a);\n')).toThrow(
      /history:each/,
    );
    expect(() => migrationSteps('drop index concurrently x;\n')).toThrow(/history:each/);
    expect(
      migrationSteps(
        "-- history:each\nSELECT format('CREATE INDEX CONCURRENTLY x ON %I.t (a)', current_schema());\n",
      ),
    ).toHaveLength(1);
  });

  it('tells the statements PostgreSQL refuses in a transaction block from the others', () => {
    for (const sql of [
      'CREATE INDEX CONCURRENTLY x ON s.t (a)',
      'create unique index concurrently if not exists x on s.t (a)',
      'DROP INDEX CONCURRENTLY IF EXISTS s.x',
      'REINDEX INDEX CONCURRENTLY s.x',
      'ALTER TABLE s.t DETACH PARTITION s.p CONCURRENTLY',
      'VACUUM s.t',
    ])
      expect(runsOutsideTransaction(sql)).toBe(true);
    for (const sql of [
      'CREATE INDEX IF NOT EXISTS x ON ONLY events (a)',
      'ALTER INDEX events_feed ATTACH PARTITION events_p0_feed',
      "SELECT format('DROP INDEX CONCURRENTLY %I', 'x')",
      'DROP INDEX x',
    ])
      expect(runsOutsideTransaction(sql)).toBe(false);
  });

  it('0003 runs outside a transaction, its index builds one statement each', () => {
    const m = loadMigrations().find((x) => x.version === 3)!;
    expect(m.transactional).toBe(false);
    const steps = migrationSteps(m.sql);
    expect(steps.filter((s) => s.each)).toHaveLength(5);
    expect(steps.filter((s) => s.setting).map((s) => s.setting)).toEqual([
      { name: 'lock_timeout', value: "'2s'" },
      { name: 'lock_timeout' },
    ]);
  });

  it('0004 runs outside a transaction: backfill repeated, indexes built one statement each', () => {
    const m = loadMigrations().find((x) => x.version === 4)!;
    expect(m.transactional).toBe(false);
    const steps = migrationSteps(m.sql);
    expect(steps.filter((s) => s.repeat).map((s) => s.sql)).toEqual([
      expect.stringMatching(/^UPDATE events e SET tx = '0'/),
    ]);
    expect(steps.filter((s) => s.each)).toHaveLength(6);
  });
});
