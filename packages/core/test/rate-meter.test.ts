import { describe, expect, it } from 'vitest';
import { RateMeter } from '../src/rate-meter.js';

describe('RateMeter', () => {
  it('is events per second over the window, the latest batch counting its own duration', () => {
    const meter = new RateMeter(5000);
    expect(meter.perSecond(0, 0)).toBe(0);
    meter.record(1000, 100);
    // One batch of 100 that took 10 ms.
    expect(meter.perSecond(1000, 10)).toBe(10_000);
    meter.record(2000, 300);
    expect(meter.perSecond(2000, 0)).toBe(400);
  });

  it('forgets batches older than the window but always keeps the latest', () => {
    const meter = new RateMeter(5000);
    meter.record(0, 1000);
    meter.record(1000, 10);
    // At 7,000 ms both are older than 5 s: only the latest (1,000 ms) is kept.
    expect(meter.perSecond(7000, 0)).toBeCloseTo(10 / 6, 6);
  });

  it('stays exact over many batches (its ring is compacted as it goes)', () => {
    const meter = new RateMeter(100);
    for (let t = 0; t < 100_000; t++) meter.record(t, 1);
    // The window holds the batches at 99,899..99,999: 101 events over 100 ms.
    expect(meter.perSecond(99_999, 0)).toBeCloseTo((101 * 1000) / 100, 6);
  });
});
