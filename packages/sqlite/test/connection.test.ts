import { afterAll, describe, expect, it } from 'vitest';
import { openConnection } from '../src/connection.js';
import { tempDb } from './temp-db.js';

describe('openConnection', () => {
  const tmp = tempDb();
  afterAll(() => tmp.cleanup());

  it.each([
    ['normal', 1],
    ['full', 2],
  ] as const)(
    'durability %s sets WAL, synchronous=%i, busy_timeout, a 16 MiB WAL checkpoint interval and mmap',
    (durability, level) => {
      const db = openConnection({ filename: tmp.filename, durability, busyTimeoutMs: 1234 });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(level);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(4096);
      expect(db.pragma('mmap_size', { simple: true })).toBe(1073741824);
      db.close();
    },
  );

  it('opens read-only connections that cannot write', () => {
    const db = openConnection({
      filename: tmp.filename,
      durability: 'normal',
      busyTimeoutMs: 10,
      readonly: true,
    });
    expect(() => db.exec('CREATE TABLE t (x)')).toThrow(/readonly/);
    db.close();
  });
});
