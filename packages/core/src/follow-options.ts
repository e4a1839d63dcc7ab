import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { describe } from './identifier.js';

/** The `follow` and `signal` options `stream` and `feed` share, validated. */
export interface FollowOptions {
  follow: boolean;
  signal?: AbortSignal;
}

/** Whether `value` is an `AbortSignal` (by shape: signals of other realms or polyfills pass). */
export function isAbortSignal(value: unknown): value is AbortSignal {
  const v = value as AbortSignal | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.aborted === 'boolean' &&
    typeof v.addEventListener === 'function' &&
    typeof v.removeEventListener === 'function'
  );
}

/** Validates `follow` and `signal` of an options argument, or throws naming `field.follow` or `field.signal`. */
export function followOptions(follow: unknown, signal: unknown, field: string): FollowOptions {
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
  return { follow: follow === true, ...(signal === undefined ? {} : { signal }) };
}
