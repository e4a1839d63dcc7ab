import { describe, expect, it } from 'vitest';
import { retryDelay, retryTransient } from '../src/retry-transient.js';

describe('retryDelay', () => {
  it('doubles per attempt and jitters between half and all of the doubled delay', () => {
    expect(retryDelay(20, 1, () => 0)).toBe(10);
    expect(retryDelay(20, 1, () => 1)).toBe(20);
    expect(retryDelay(20, 3, () => 0)).toBe(40);
    expect(retryDelay(20, 3, () => 1)).toBe(80);
    expect(retryDelay(20, 3, () => 0.5)).toBe(60);
  });
});

describe('retryTransient', () => {
  const policy = (retries: number) => ({
    retries,
    retryDelayMs: 1,
    isTransient: (e: unknown) => (e as Error).message === 'busy',
  });

  it('retries transient failures until the operation succeeds', async () => {
    let calls = 0;
    const outcome = await retryTransient(async () => {
      if (++calls < 3) throw new Error('busy');
      return 'done';
    }, policy(5));
    expect(outcome).toEqual({ ok: true, value: 'done', attempts: 3 });
  });

  it('stops at once on an error that is not transient', async () => {
    let calls = 0;
    const boom = new Error('boom');
    const outcome = await retryTransient(async () => {
      calls++;
      throw boom;
    }, policy(5));
    expect(outcome).toEqual({ ok: false, error: boom, transient: false, attempts: 1 });
    expect(calls).toBe(1);
  });

  it('gives up after the configured retries, reporting the last error as transient', async () => {
    let calls = 0;
    const outcome = await retryTransient(async () => {
      calls++;
      throw new Error('busy');
    }, policy(2));
    expect(outcome).toMatchObject({ ok: false, transient: true, attempts: 3 });
    expect(calls).toBe(3);
  });
});
