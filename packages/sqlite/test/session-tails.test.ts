import { describe, expect, it } from 'vitest';
import { SessionTails } from '../src/session-tails.js';

const tail = (lastSeq: number) => ({ lastSeq, live: true, seqs: [], hashes: [] });

describe('SessionTails', () => {
  it('drops the least recently used session past its capacity', () => {
    const tails = new SessionTails(2);
    tails.set(1, tail(10));
    tails.set(2, tail(20));
    expect(tails.get(1)?.lastSeq).toBe(10); // 1 is now more recent than 2
    tails.set(3, tail(30));
    expect(tails.get(2)).toBeUndefined();
    expect(tails.get(1)?.lastSeq).toBe(10);
    expect(tails.get(3)?.lastSeq).toBe(30);
  });

  it('forgets everything on clear', () => {
    const tails = new SessionTails(4);
    tails.set(1, tail(1));
    tails.clear();
    expect(tails.get(1)).toBeUndefined();
  });
});
