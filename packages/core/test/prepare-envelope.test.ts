import { describe, expect, it } from 'vitest';
import { EnvelopeTooLargeError, InvalidEnvelopeError, prepareEnvelope } from '../src/index.js';

const options = { maxEnvelopeBytes: 1024, defaultSessionId: 'default' };
const valid = { id: 'a', type: 't', payload: { x: 1 }, occurredAt: '2025-01-01T00:00:00+01:00' };

describe('prepareEnvelope', () => {
  it('serialises the envelope as given, keeping key order, and computes the instant', () => {
    const prepared = prepareEnvelope({ ...valid, sessionId: 'chat' }, options);
    expect(prepared).toEqual({
      id: 'a',
      sessionId: 'chat',
      type: 't',
      occurredAtMs: Date.UTC(2024, 11, 31, 23),
      json: JSON.stringify({ ...valid, sessionId: 'chat' }),
      bytes: JSON.stringify({ ...valid, sessionId: 'chat' }).length,
    });
  });

  it('uses the default session when sessionId is absent', () => {
    expect(prepareEnvelope(valid, options).sessionId).toBe('default');
  });

  it('prefixes the field with the position given', () => {
    expect(() =>
      prepareEnvelope({ ...valid, type: 3 }, { ...options, field: 'envelopes[2]' }),
    ).toThrow(expect.objectContaining({ field: 'envelopes[2].type' }));
  });

  it('names a non-JSON value in an unknown field', () => {
    const error = (() => {
      try {
        prepareEnvelope({ ...valid, extra: 5n }, options);
      } catch (e) {
        return e;
      }
    })();
    expect(InvalidEnvelopeError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ field: 'extra' });
  });

  it('measures size in UTF-8 bytes', () => {
    const payload = 'é'.repeat(500); // 1000 bytes, 500 chars
    expect(() => prepareEnvelope({ ...valid, payload }, options)).toThrow(EnvelopeTooLargeError);
    expect(prepareEnvelope({ ...valid, payload: 'e'.repeat(500) }, options).bytes).toBeLessThan(
      1024,
    );
  });

  it.each([
    '2025-01-01T00:00:00Z',
    '2025-01-01T00:00Z',
    '2025-12-31T23:59:59.999999+14:00',
    '2024-02-29T12:00:00-00:30',
  ])('accepts the timestamp %s', (occurredAt) => {
    expect(prepareEnvelope({ ...valid, occurredAt }, options).occurredAtMs).toBe(
      Date.parse(occurredAt),
    );
  });

  it.each([
    '2025-02-29T00:00:00Z',
    '2025-04-31T00:00:00Z',
    '2025-01-01T24:00:00Z',
    '2025-01-01T00:60:00Z',
    '2025-01-01T00:00:00+25:00',
    '2025-01-01 00:00:00Z',
    '20250101T000000Z',
    ' 2025-01-01T00:00:00Z',
  ])('rejects the timestamp %s', (occurredAt) => {
    expect(() => prepareEnvelope({ ...valid, occurredAt }, options)).toThrow(
      expect.objectContaining({ code: 'HISTORY_INVALID_ENVELOPE', field: 'occurredAt' }),
    );
  });
});
