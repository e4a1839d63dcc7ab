import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { type NormalizedRange, normalizeRange } from './history-range.js';
import { describe } from './identifier.js';

/** A validated `StreamOptions`: the range the backend reads, and how the stream runs. */
export interface NormalizedStreamOptions {
  range: NormalizedRange;
  follow: boolean;
  signal?: AbortSignal;
}

/** Whether `value` is an `AbortSignal` (by shape: signals of other realms or polyfills pass). */
function isAbortSignal(value: unknown): value is AbortSignal {
  const v = value as AbortSignal | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.aborted === 'boolean' &&
    typeof v.addEventListener === 'function' &&
    typeof v.removeEventListener === 'function'
  );
}

/** Validates `stream`'s options argument, or throws `InvalidArgumentError` naming the field. */
export function normalizeStreamOptions(options: unknown, field = 'range'): NormalizedStreamOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    // normalizeRange says what is wrong with it (or accepts `undefined`).
    return { range: normalizeRange(options, field), follow: false };
  }
  const { follow, signal, ...rest } = options as Record<string, unknown>;
  if (follow !== undefined && typeof follow !== 'boolean') {
    throw new InvalidArgumentError(
      `${field}.follow`,
      `expected a boolean, received ${describe(follow)}`,
    );
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new InvalidArgumentError(
      `${field}.signal`,
      `expected an AbortSignal, received ${describe(signal)}`,
    );
  }
  const range = normalizeRange(rest, field);
  if (follow === true && range.direction === 'backward') {
    throw new InvalidArgumentError(
      `${field}.follow`,
      "cannot follow a stream read with direction 'backward'",
    );
  }
  return { range, follow: follow === true, ...(signal === undefined ? {} : { signal }) };
}
