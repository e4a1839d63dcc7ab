import { type OptionRule, type ResolvedOptions, resolveAdapterOptions } from './adapter-options.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { isAbortSignal } from './follow-options.js';
import { describe } from './identifier.js';
import type { VerifyOptions } from './integrity-report.js';

/** `VerifyOptions` with the default filled in. */
export interface ResolvedVerifyOptions {
  onProgress?: (checkedEvents: number) => void;
  signal?: AbortSignal;
  maxProblems: number;
}

export const DEFAULT_MAX_PROBLEMS = 1000;
const VERIFY_KEYS = ['onProgress', 'signal', 'maxProblems'];

/**
 * Validates the options of an adapter's verify function: its own (`schema`, with
 * `defaults`) and `VerifyOptions`. Any other key is refused, naming it; so is a malformed
 * value, naming its field (`options.maxProblems`, ...).
 */
export function resolveVerifyOptions<S extends Record<string, OptionRule<unknown>>>(
  options: unknown,
  schema: S,
  defaults: { readonly [K in keyof S]?: ResolvedOptions<S>[K] } = {},
  field = 'options',
): ResolvedOptions<S> & ResolvedVerifyOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(field, `expected an object, received ${describe(options)}`);
  }
  const given = options as Record<string, unknown> & VerifyOptions;
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (key in schema) own[key] = given[key];
    else if (!VERIFY_KEYS.includes(key)) {
      throw new InvalidArgumentError(`${field}.${key}`, 'unknown option');
    }
  }
  const adapter = resolveAdapterOptions(own, schema, defaults, field);
  const { onProgress, signal, maxProblems } = given;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new InvalidArgumentError(
      `${field}.onProgress`,
      `expected a function, received ${describe(onProgress)}`,
    );
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new InvalidArgumentError(
      `${field}.signal`,
      `expected an AbortSignal, received ${describe(signal)}`,
    );
  }
  if (
    maxProblems !== undefined &&
    !(typeof maxProblems === 'number' && Number.isSafeInteger(maxProblems) && maxProblems >= 1)
  ) {
    throw new InvalidArgumentError(`${field}.maxProblems`, 'expected a positive integer');
  }
  return {
    ...adapter,
    ...(onProgress === undefined ? {} : { onProgress }),
    ...(signal === undefined ? {} : { signal }),
    maxProblems: maxProblems ?? DEFAULT_MAX_PROBLEMS,
  };
}
