import { describe, expect, it } from 'vitest';
import {
  BackpressureError,
  ClosedError,
  EnvelopeTooLargeError,
  HistoryError,
  InvalidArgumentError,
  InvalidEnvelopeError,
  LockedError,
  ReadOnlyError,
  SchemaVersionError,
  StorageError,
} from '../src/index.js';

describe('errors', () => {
  const cases: Array<[HistoryError, string, (e: unknown) => boolean]> = [
    [
      new InvalidEnvelopeError('id', 'bad'),
      'HISTORY_INVALID_ENVELOPE',
      InvalidEnvelopeError.isInstance,
    ],
    [
      new EnvelopeTooLargeError('envelope', 10, 5),
      'HISTORY_ENVELOPE_TOO_LARGE',
      EnvelopeTooLargeError.isInstance,
    ],
    [
      new InvalidArgumentError('range', 'bad'),
      'HISTORY_INVALID_ARGUMENT',
      InvalidArgumentError.isInstance,
    ],
    [new ClosedError('append'), 'HISTORY_CLOSED', ClosedError.isInstance],
    [new BackpressureError(1, 2), 'HISTORY_BACKPRESSURE', BackpressureError.isInstance],
    [new StorageError('x', { cause: new Error('y') }), 'HISTORY_STORAGE', StorageError.isInstance],
    [new SchemaVersionError(3, 2), 'HISTORY_SCHEMA_VERSION', SchemaVersionError.isInstance],
    [new LockedError('held'), 'HISTORY_LOCKED', LockedError.isInstance],
    [new ReadOnlyError('append', 'read-only'), 'HISTORY_READ_ONLY', ReadOnlyError.isInstance],
  ];

  it.each(cases)('%s has a stable code and is recognised', (error, code, isInstance) => {
    expect(error.code).toBe(code);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(HistoryError);
    expect(HistoryError.isInstance(error)).toBe(true);
    expect(isInstance(error)).toBe(true);
    expect(InvalidEnvelopeError.isInstance(error)).toBe(code === 'HISTORY_INVALID_ENVELOPE');
  });

  it('recognises an error from another copy of the package by its marker', () => {
    // What a duplicate @history/core in node_modules would construct: same marker, other class.
    const foreign = Object.assign(new Error('closed elsewhere'), {
      [Symbol.for('@history/core/error')]: true,
      code: 'HISTORY_CLOSED',
    });
    expect(foreign instanceof HistoryError).toBe(false);
    expect(HistoryError.isInstance(foreign)).toBe(true);
    expect(ClosedError.isInstance(foreign)).toBe(true);
    expect(StorageError.isInstance(foreign)).toBe(false);
  });

  it('does not mistake other values for history errors', () => {
    for (const value of [
      new Error('x'),
      null,
      undefined,
      'HISTORY_CLOSED',
      { code: 'HISTORY_CLOSED' },
    ]) {
      expect(HistoryError.isInstance(value)).toBe(false);
    }
  });

  it('keeps the cause and the transient flag of storage errors', () => {
    const cause = new Error('ECONNRESET');
    const error = new StorageError('lost', { cause, transient: true });
    expect(error.cause).toBe(cause);
    expect(error.transient).toBe(true);
  });
});
