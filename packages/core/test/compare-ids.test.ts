import { describe, expect, it } from 'vitest';
import { compareIds } from '../src/compare-ids.js';

describe('compareIds', () => {
  it('orders by code point, not UTF-16 unit', () => {
    const ids = ['｡', '😀', 'b', 'a', 'ab', 'A', 'ä'];
    expect([...ids].sort(compareIds)).toEqual(['A', 'a', 'ab', 'b', 'ä', '｡', '😀']);
    expect(['｡', '😀'].sort()).toEqual(['😀', '｡']); // what `<` would do instead
  });
});
