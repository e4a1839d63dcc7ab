import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { describe } from './identifier.js';

/** Validates an `append`/`appendMany` options argument; returns its `expectedSeq`, if any. */
export function expectedSeqOf(options: unknown): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError('options', `expected an object, received ${describe(options)}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'expectedSeq') throw new InvalidArgumentError(`options.${key}`, 'unknown option');
  }
  const v = o.expectedSeq;
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgumentError('options.expectedSeq', 'expected a non-negative safe integer');
  }
  return v;
}
