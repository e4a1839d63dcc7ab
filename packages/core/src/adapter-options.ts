import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { assertKnownOptions } from './store-options.js';

/**
 * Checks one adapter option's value: returns it, typed, or throws `InvalidArgumentError`
 * naming `field`. It sees `undefined` only for an option without a default, so a required
 * option is one whose rule refuses `undefined`.
 */
export type OptionRule<T> = (value: unknown, field: string) => T;

/**
 * An adapter's options schema: exactly one rule per option of `O` (declare it with
 * `satisfies OptionsSchema<O>`, so an option added to the type but not checked does not compile).
 */
export type OptionsSchema<O> = { readonly [K in keyof O]-?: OptionRule<O[K]> };

/** What `resolveAdapterOptions` returns for a schema: each option's checked value. */
export type ResolvedOptions<S> = {
  -readonly [K in keyof S]: S[K] extends OptionRule<infer T> ? T : never;
};

/**
 * Validates an adapter's own options against `schema` and fills in `defaults` for those
 * absent. Keys that are neither in `schema` nor common `StoreOptions` are refused, so the
 * schema is also the adapter's list of known keys. Common options are left to
 * `resolveStoreOptions`.
 */
export function resolveAdapterOptions<S extends Record<string, OptionRule<unknown>>>(
  options: unknown,
  schema: S,
  defaults: { readonly [K in keyof S]?: ResolvedOptions<S>[K] },
  field = 'options',
): ResolvedOptions<S> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(field, 'expected an object');
  }
  const keys = Object.keys(schema);
  assertKnownOptions(options, keys, field);
  const given = options as Record<string, unknown>;
  const resolved: Record<string, unknown> = {};
  for (const key of keys) {
    const value = given[key];
    const fallback = defaults[key];
    // Defaults are typed against the schema already; only what the caller gave is checked.
    resolved[key] =
      value === undefined && fallback !== undefined
        ? fallback
        : schema[key]!(value, `${field}.${key}`);
  }
  return resolved as ResolvedOptions<S>;
}

/** The rules most options need; an adapter writes its own for anything else. */
export const optionRule = {
  /** A safe integer from `min` to `max`. */
  integer(min: number, max = Number.MAX_SAFE_INTEGER): OptionRule<number> {
    const expected =
      max < Number.MAX_SAFE_INTEGER
        ? `expected an integer from ${min} to ${max}`
        : min === 0
          ? 'expected a non-negative integer'
          : min === 1
            ? 'expected a positive integer'
            : `expected an integer of at least ${min}`;
    return (value, field) => {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
        throw new InvalidArgumentError(field, expected);
      }
      return value;
    };
  },

  /** One of `values`. */
  oneOf<const V extends readonly string[]>(...values: V): OptionRule<V[number]> {
    const expected = `expected ${values.map((v) => `'${v}'`).join(' or ')}`;
    return (value, field) => {
      const found = values.find((v) => v === value);
      if (found === undefined) throw new InvalidArgumentError(field, expected);
      return found;
    };
  },

  /** `rule`'s values, or absent: for an option with no default that may be left out. */
  optional<T>(rule: OptionRule<T>): OptionRule<T | undefined> {
    return (value, field) => (value === undefined ? undefined : rule(value, field));
  },

  /**
   * A file-system path: a non-empty string without NUL characters (no path can hold one).
   * `expected` is the message for a value that is not a non-empty string.
   */
  path(expected = 'expected a non-empty string'): OptionRule<string> {
    return (value, field) => {
      if (typeof value !== 'string' || value.length === 0) {
        throw new InvalidArgumentError(field, expected);
      }
      if (value.includes('\0')) {
        throw new InvalidArgumentError(field, 'must not contain NUL characters');
      }
      return value;
    };
  },

  /** `true` or `false`. */
  boolean: ((value, field) => {
    if (typeof value !== 'boolean') throw new InvalidArgumentError(field, 'expected a boolean');
    return value;
  }) satisfies OptionRule<boolean>,
};
