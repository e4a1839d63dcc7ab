import { describe, expect, it } from 'vitest';
import { type OptionRule, optionRule, resolveAdapterOptions } from '../src/backend.js';
import { InvalidArgumentError } from '../src/index.js';

const name: OptionRule<string> = (value, field) => {
  if (typeof value !== 'string') throw new InvalidArgumentError(field, 'expected a string');
  return value;
};
const SCHEMA = {
  name,
  mode: optionRule.oneOf('a', 'b'),
  size: optionRule.integer(1, 10),
  count: optionRule.integer(0),
  on: optionRule.boolean,
  note: optionRule.optional(name),
};
const DEFAULTS = { mode: 'a', size: 5, count: 0, on: true } as const;

describe('resolveAdapterOptions', () => {
  it('fills the defaults of absent options and keeps the given ones', () => {
    expect(resolveAdapterOptions({ name: 'n' }, SCHEMA, DEFAULTS)).toEqual({
      name: 'n',
      ...DEFAULTS,
      note: undefined,
    });
    const given = { name: 'n', mode: 'b', size: 10, count: 7, on: false, note: 'x' };
    expect(resolveAdapterOptions(given, SCHEMA, DEFAULTS)).toEqual(given);
  });

  it.each([
    [null, 'options', 'expected an object'],
    [[], 'options', 'expected an object'],
    [{}, 'options.name', 'expected a string'],
    [{ name: 'n', mode: 'c' }, 'options.mode', "expected 'a' or 'b'"],
    [{ name: 'n', mode: null }, 'options.mode', "expected 'a' or 'b'"],
    [{ name: 'n', size: 11 }, 'options.size', 'expected an integer from 1 to 10'],
    [{ name: 'n', size: 1.5 }, 'options.size', 'expected an integer from 1 to 10'],
    [{ name: 'n', count: -1 }, 'options.count', 'expected a non-negative integer'],
    [{ name: 'n', count: Number.NaN }, 'options.count', 'expected a non-negative integer'],
    [{ name: 'n', on: 'yes' }, 'options.on', 'expected a boolean'],
    [{ name: 'n', note: 3 }, 'options.note', 'expected a string'],
    [{ name: 'n', sizes: 3 }, 'options.sizes', 'unknown option'],
  ])('refuses %j naming %s', (options, field, message) => {
    expect(() => resolveAdapterOptions(options, SCHEMA, DEFAULTS)).toThrow(
      expect.objectContaining({
        code: 'HISTORY_INVALID_ARGUMENT',
        field,
        message: `Invalid argument: ${field}: ${message}`,
      }),
    );
  });

  it('leaves the common options to resolveStoreOptions', () => {
    expect(() =>
      resolveAdapterOptions({ name: 'n', maxBatchSize: 3 }, SCHEMA, DEFAULTS),
    ).not.toThrow();
  });
});

describe('optionRule.path', () => {
  it.each([
    [undefined, 'expected a non-empty string'],
    ['', 'expected a non-empty string'],
    [7, 'expected a non-empty string'],
    ['a\0b', 'must not contain NUL characters'],
  ])('refuses %j', (value, message) => {
    expect(() => optionRule.path()(value, 'options.path')).toThrow(
      expect.objectContaining({
        field: 'options.path',
        message: `Invalid argument: options.path: ${message}`,
      }),
    );
  });

  it('returns a path, and names what it expected as told', () => {
    expect(optionRule.path()('/tmp/x', 'options.path')).toBe('/tmp/x');
    expect(() => optionRule.path('expected a directory')('', 'options.root')).toThrow(
      'options.root: expected a directory',
    );
  });
});
