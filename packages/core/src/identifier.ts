import { InvalidArgumentError } from './errors/invalid-argument-error.js';

/** Longest id, session id, type, source or trace id, in UTF-8 bytes. */
export const MAX_IDENTIFIER_BYTES = 512;

/**
 * Why `value` is not a usable identifier (session id, envelope id, type...), or
 * `undefined` when it is. Identifiers end up in file names and SQL text
 * columns: NUL and lone surrogates cannot round-trip through either.
 */
export function identifierProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `expected a string, received ${describe(value)}`;
  if (value.length === 0) return 'must not be empty';
  if (value.includes('\0')) return 'must not contain NUL characters';
  if (!value.isWellFormed()) return 'must be well-formed Unicode (no lone surrogates)';
  // A UTF-16 unit is at most 3 UTF-8 bytes: short ids (nearly all) need no byte count.
  if (value.length * 3 <= MAX_IDENTIFIER_BYTES) return undefined;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_IDENTIFIER_BYTES)
    return `is ${bytes} UTF-8 bytes; at most ${MAX_IDENTIFIER_BYTES}`;
  return undefined;
}

/** Throws `InvalidArgumentError` naming `field` unless `value` is a valid session id. */
export function assertSessionId(value: unknown, field = 'sessionId'): asserts value is string {
  const problem = identifierProblem(value);
  if (problem) throw new InvalidArgumentError(field, problem);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
