import { describe, expect, it } from 'vitest';
import { prepareEnvelope } from '../src/backend.js';
import { EnvelopeTooLargeError, InvalidEnvelopeError } from '../src/index.js';
import { MAX_INSTANT_MS, MIN_INSTANT_MS } from '../src/iso-timestamp.js';

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

  it('agrees with Date.parse on every valid timestamp shape, offsets and years included', () => {
    const stamps: string[] = [];
    for (const year of ['0001', '0099', '1900', '1970', '2000', '2024', '2100', '9999']) {
      for (const [month, day] of [
        ['01', '01'],
        ['02', '28'],
        ['03', '01'],
        ['12', '31'],
      ]) {
        for (const time of [
          '00:00',
          '23:59:59',
          '12:30:05.1',
          '12:30:05.12',
          '12:30:05.123456789',
        ]) {
          for (const zone of ['Z', '+00:00', '-00:30', '+14:00', '-12:00', '+05:45']) {
            stamps.push(`${year}-${month}-${day}T${time}${zone}`);
          }
        }
      }
    }
    let outside = 0;
    for (const occurredAt of stamps) {
      const ms = Date.parse(occurredAt);
      if (ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) {
        // An offset moved the instant out of years 0001-9999: no adapter can store it.
        outside++;
        expect(() => prepareEnvelope({ ...valid, occurredAt }, options)).toThrow(
          expect.objectContaining({ field: 'occurredAt' }),
        );
      } else {
        expect(prepareEnvelope({ ...valid, occurredAt }, options).occurredAtMs).toBe(ms);
      }
    }
    expect(outside).toBeGreaterThan(0);
  });

  it.each([
    ['0000-01-01T00:00:00Z', false],
    ['0001-01-01T00:00:00+00:01', false],
    ['9999-12-31T23:59:59.999-00:01', false],
    ['0001-01-01T00:00:00Z', true],
    ['0001-01-01T00:30:00+00:30', true],
    ['9999-12-31T23:59:59.999Z', true],
  ])('keeps instants within years 0001-9999 UTC: %s accepted: %s', (occurredAt, accepted) => {
    const attempt = () => prepareEnvelope({ ...valid, occurredAt }, options);
    if (accepted) expect(attempt().occurredAtMs).toBe(Date.parse(occurredAt));
    else expect(attempt).toThrow(expect.objectContaining({ field: 'occurredAt' }));
  });

  it.each([
    '2025-01-01T00:00:00.Z',
    '2025-01-01T00:00:00.1234567890Z',
    '2025-01-01T00:00:00+0100',
    '2025-01-01T00:00:00z',
    '2025-01-01T00:00:00Z ',
    '2025-1-01T00:00:00Z',
    '2025-01-01T00:00:0Z',
  ])('rejects the malformed timestamp %s', (occurredAt) => {
    expect(() => prepareEnvelope({ ...valid, occurredAt }, options)).toThrow(
      expect.objectContaining({ field: 'occurredAt' }),
    );
  });
});

describe('prepareEnvelope stores exactly what it validated', () => {
  const fieldOf = (envelope: unknown) => {
    try {
      prepareEnvelope(envelope, options);
    } catch (error) {
      expect(InvalidEnvelopeError.isInstance(error)).toBe(true);
      return (error as InvalidEnvelopeError).field;
    }
    return undefined;
  };

  it('refuses an own toJSON instead of storing what it returns', () => {
    const forged = { ...valid, toJSON: () => ({ id: 'forged', sessionId: 'other' }) };
    expect(fieldOf(forged)).toBe('toJSON');
  });

  it('refuses a payload whose toJSON returns undefined', () => {
    expect(fieldOf({ ...valid, payload: { toJSON: () => undefined } })).toBe('payload');
  });

  it('stores the toJSON result of a payload, computed once', () => {
    let calls = 0;
    const payload = {
      toJSON() {
        calls++;
        return { at: 'noon' };
      },
    };
    const prepared = prepareEnvelope({ ...valid, payload }, options);
    expect(JSON.parse(prepared.json).payload).toEqual({ at: 'noon' });
    expect(calls).toBe(1);
  });

  it('ignores inherited fields: an envelope made of them is missing its fields', () => {
    const inherited = Object.assign(Object.create({ type: 't', sessionId: 'elsewhere' }), {
      id: 'a',
      payload: 1,
      occurredAt: valid.occurredAt,
    });
    expect(fieldOf(inherited)).toBe('type');
  });

  it('reads a getter once, so what passed validation is what is stored', () => {
    let reads = 0;
    const envelope = {
      ...valid,
      get occurredAt() {
        reads++;
        return reads === 1 ? '2025-01-01T00:00:00Z' : 'garbage';
      },
    };
    const prepared = prepareEnvelope(envelope, options);
    expect(JSON.parse(prepared.json).occurredAt).toBe('2025-01-01T00:00:00Z');
    expect(reads).toBe(1);
  });

  it('turns a throwing getter or Proxy trap into InvalidEnvelopeError', () => {
    const getter = {
      ...valid,
      get payload(): unknown {
        throw new Error('boom');
      },
    };
    const proxy = new Proxy(valid, {
      ownKeys() {
        throw new Error('trap');
      },
    });
    expect(() => prepareEnvelope(getter, options)).toThrow(
      expect.objectContaining({ code: 'HISTORY_INVALID_ENVELOPE', field: 'payload' }),
    );
    expect(() => prepareEnvelope(proxy, options)).toThrow(
      expect.objectContaining({ code: 'HISTORY_INVALID_ENVELOPE', field: 'envelope' }),
    );
  });

  it('names an unknown field holding a function or a symbol', () => {
    expect(fieldOf({ ...valid, extra: () => 1 })).toBe('extra');
    expect(fieldOf({ ...valid, extra: Symbol('x') })).toBe('extra');
  });
});
