import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { describe } from './identifier.js';

/**
 * A method's options argument as a record (`undefined` when not given), after refusing
 * anything but a plain object and any key outside `keys`, naming the field.
 */
export function optionsRecord(
  value: unknown,
  field: string,
  keys: ReadonlySet<string>,
): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, `expected an object, received ${describe(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.has(key)) throw new InvalidArgumentError(`${field}.${key}`, 'unknown option');
  }
  return record;
}

/** `value` when it is a non-negative safe integer or `undefined`; otherwise throws naming `field`. */
export function nonNegativeInteger(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(field, 'expected a non-negative safe integer');
  }
  return value;
}
