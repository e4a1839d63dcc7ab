import { describe, expect, it } from 'vitest';
import { optionRule } from '../src/adapter-options.js';
import { InvalidArgumentError } from '../src/errors/invalid-argument-error.js';
import { IntegrityCollector } from '../src/integrity-collector.js';
import { resolveVerifyOptions } from '../src/verify-options.js';

const SCHEMA = { root: optionRule.path() };
const problem = (n: number) => ({ kind: 'seq-gap' as const, location: `at ${n}`, message: 'gap' });

describe('resolveVerifyOptions', () => {
  it("validates the adapter's options and VerifyOptions, filling in maxProblems", () => {
    const onProgress = () => {};
    const signal = new AbortController().signal;
    expect(resolveVerifyOptions({ root: 'r', onProgress, signal }, SCHEMA)).toEqual({
      root: 'r',
      onProgress,
      signal,
      maxProblems: 1000,
    });
    expect(resolveVerifyOptions({ root: 'r', maxProblems: 3 }, SCHEMA).maxProblems).toBe(3);
  });

  it('refuses bad values and unknown keys (store options too) naming the field', () => {
    const field = (options: unknown) => {
      try {
        resolveVerifyOptions(options, SCHEMA);
      } catch (error) {
        if (InvalidArgumentError.isInstance(error)) return error.field;
        throw error;
      }
      throw new Error('accepted');
    };
    expect(field(null)).toBe('options');
    expect(field({})).toBe('options.root');
    expect(field({ root: 'r', maxProblems: 0 })).toBe('options.maxProblems');
    expect(field({ root: 'r', maxProblems: '5' })).toBe('options.maxProblems');
    expect(field({ root: 'r', onProgress: 'x' })).toBe('options.onProgress');
    expect(field({ root: 'r', signal: { aborted: false } })).toBe('options.signal');
    expect(field({ root: 'r', maxBatchSize: 10 })).toBe('options.maxBatchSize');
  });
});

describe('IntegrityCollector', () => {
  it('keeps maxProblems problems, counts on, reports progress every 10,000 events and at the end', () => {
    const progress: number[] = [];
    const check = new IntegrityCollector({ maxProblems: 2, onProgress: (n) => progress.push(n) });
    for (let i = 0; i < 3; i++) check.add(problem(i));
    expect(check.full).toBe(true);
    expect(check.room).toBe(0);
    for (let i = 0; i < 25_000; i++) check.countEvent();
    check.sessions = 4;
    expect(check.report()).toEqual({
      sessions: 4,
      events: 25_000,
      problems: [problem(0), problem(1)],
    });
    expect(progress).toEqual([10_000, 20_000, 25_000]);
  });

  it("throws the signal's reason at pauses and progress points, and recognises it", async () => {
    const controller = new AbortController();
    const check = new IntegrityCollector({ maxProblems: 10, signal: controller.signal });
    await check.pause();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(check.pause()).rejects.toBe(reason);
    expect(() => {
      for (let i = 0; i < 10_000; i++) check.countEvent();
    }).toThrow(reason);
    expect(check.isAbortReason(reason)).toBe(true);
    expect(check.isAbortReason(new Error('stop'))).toBe(false);
  });
});
