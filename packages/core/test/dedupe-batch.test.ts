import { describe, expect, it } from 'vitest';
import { dedupeBatch } from '../src/dedupe-batch.js';
import type { PreparedEnvelope } from '../src/prepare-envelope.js';

const item = (sessionId: string, id: string): PreparedEnvelope => ({
  id,
  sessionId,
  type: 't',
  occurredAtMs: 0,
  json: '{}',
  bytes: 2,
});

describe('dedupeBatch', () => {
  it('keeps the first copy of each (session, id) and points repeats at it', () => {
    const items = [item('a', '1'), item('a', '2'), item('a', '1'), item('a', '2'), item('a', '3')];
    const { unique, target } = dedupeBatch(items);
    expect(unique).toEqual([items[0], items[1], items[4]]);
    expect(target).toEqual([0, 1, -1, -2, 2]);
  });

  it('treats one id in different sessions as different records, repeats included', () => {
    const items = [item('a', 'x'), item('b', 'x'), item('c', 'x'), item('b', 'x'), item('a', 'x')];
    const { unique, target } = dedupeBatch(items);
    expect(unique.map((u) => u.sessionId)).toEqual(['a', 'b', 'c']);
    expect(target).toEqual([0, 1, 2, -2, -1]);
  });
});
