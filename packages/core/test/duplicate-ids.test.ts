import { describe, expect, it } from 'vitest';
import { DuplicateIds } from '../src/duplicate-ids.js';
import { idHash } from '../src/id-hash.js';

describe('DuplicateIds', () => {
  it('finds the hashes of ids added twice, then starts afresh', () => {
    const ids = new DuplicateIds();
    for (let i = 0; i < 5000; i++) ids.add(`evt-${i}`);
    ids.add('evt-17');
    ids.add('evt-4999');
    expect(ids.repeated()).toEqual(new Set([idHash('evt-17'), idHash('evt-4999')]));
    ids.add('evt-17');
    expect(ids.repeated()).toEqual(new Set());
  });

  it('hashes to safe integers, equal ids equally (cyrb53: the SQLite store id_hash)', () => {
    const hash = idHash('0b9c1f9e-4b7a-4f3e-9d2a-3c1e5f7a9b2d');
    expect(Number.isSafeInteger(hash)).toBe(true);
    expect(hash).toBe(idHash('0b9c1f9e-4b7a-4f3e-9d2a-3c1e5f7a9b2d'));
    expect(idHash('a')).not.toBe(idHash('b'));
  });
});
