import { describe, expect, it } from 'vitest';
import { DuplicateIds } from '../src/duplicate-ids.js';

describe('DuplicateIds', () => {
  it('finds the hashes of ids added twice, then starts afresh', () => {
    const ids = new DuplicateIds();
    for (let i = 0; i < 5000; i++) ids.add(`evt-${i}`);
    ids.add('evt-17');
    ids.add('evt-4999');
    expect(ids.repeated()).toEqual(
      new Set([DuplicateIds.hash('evt-17'), DuplicateIds.hash('evt-4999')]),
    );
    ids.add('evt-17');
    expect(ids.repeated()).toEqual(new Set());
  });

  it('hashes to safe integers, equal ids equally (cyrb53: the SQLite store id_hash)', () => {
    const hash = DuplicateIds.hash('0b9c1f9e-4b7a-4f3e-9d2a-3c1e5f7a9b2d');
    expect(Number.isSafeInteger(hash)).toBe(true);
    expect(hash).toBe(DuplicateIds.hash('0b9c1f9e-4b7a-4f3e-9d2a-3c1e5f7a9b2d'));
    expect(DuplicateIds.hash('a')).not.toBe(DuplicateIds.hash('b'));
  });
});
