import { describe, expect, it } from 'vitest';
import { partitionPoint } from '../src/partition-point.js';

describe('partitionPoint', () => {
  it('finds the first index where the predicate stops holding', () => {
    const sorted = [1, 3, 3, 5, 8];
    expect(partitionPoint(sorted.length, (i) => sorted[i]! < 3)).toBe(1);
    expect(partitionPoint(sorted.length, (i) => sorted[i]! <= 3)).toBe(3);
    expect(partitionPoint(sorted.length, (i) => sorted[i]! < 0)).toBe(0);
    expect(partitionPoint(sorted.length, (i) => sorted[i]! < 100)).toBe(5);
    expect(partitionPoint(0, () => true)).toBe(0);
  });
});
