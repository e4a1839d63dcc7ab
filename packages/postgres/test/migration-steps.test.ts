import { describe, expect, it } from 'vitest';
import { migrationSteps } from '../src/migration-steps.js';
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
      { sql: 'SET lock_timeout = 1;', each: false, repeat: false },
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

  it('0003 runs outside a transaction, its index builds one statement each', () => {
    const m = loadMigrations().find((x) => x.version === 3)!;
    expect(m.transactional).toBe(false);
    const steps = migrationSteps(m.sql);
    expect(steps.filter((s) => s.each)).toHaveLength(4);
    expect(steps.filter((s) => /CREATE INDEX CONCURRENTLY/.test(s.sql) && !s.each)).toHaveLength(1);
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
