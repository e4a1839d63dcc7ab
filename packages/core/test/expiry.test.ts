import { describe, expect, it } from 'vitest';
import type { StoredRecord } from '../src/backend.js';
import { expiryOf, isExpired } from '../src/expiry.js';
import { MAX_INSTANT_MS } from '../src/iso-timestamp.js';
import { prepareEnvelope } from '../src/prepare-envelope.js';
import { RecordIterator } from '../src/record-iterator.js';

const options = { maxEnvelopeBytes: 1 << 20, defaultSessionId: 'default' };

describe('expiry', () => {
  it('is occurredAt + ttlMs, or none past the last representable instant', () => {
    const at = Date.parse('2025-01-01T00:00:00Z');
    expect(expiryOf(at, undefined)).toBeUndefined();
    expect(expiryOf(at, 0)).toBe(at);
    expect(expiryOf(at, 5000)).toBe(at + 5000);
    expect(expiryOf(MAX_INSTANT_MS - 10, 10)).toBe(MAX_INSTANT_MS);
    expect(expiryOf(MAX_INSTANT_MS - 10, 11)).toBeUndefined();
    expect(expiryOf(at, Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });

  it('prepareEnvelope computes it, offsets included', () => {
    const prepared = prepareEnvelope(
      { id: 'a', type: 't', payload: 1, occurredAt: '2025-01-01T05:30:00+05:30', ttlMs: 60_000 },
      options,
    );
    expect(prepared.expiresAtMs).toBe(Date.parse('2025-01-01T00:01:00Z'));
    expect(
      prepareEnvelope(
        { id: 'a', type: 't', payload: 1, occurredAt: '2025-01-01T00:00:00Z' },
        options,
      ).expiresAtMs,
    ).toBeUndefined();
  });

  it('isExpired: from the expiry instant on', () => {
    const e = { occurredAt: '2025-01-01T00:00:00Z', ttlMs: 1000 };
    const at = Date.parse(e.occurredAt) + 1000;
    expect(isExpired(e, at - 1)).toBe(false);
    expect(isExpired(e, at)).toBe(true);
    expect(isExpired({ occurredAt: e.occurredAt }, at + 1e12)).toBe(false);
  });

  it('the stream drops a record that expired after its backend read it', async () => {
    const json = (i: number, ttlMs?: number) =>
      JSON.stringify({
        id: `e${i}`,
        type: 't',
        payload: i,
        occurredAt: '2025-01-01T00:00:00Z',
        ttlMs,
      });
    const page: StoredRecord[] = [1, 2, 3].map((seq) => ({
      seq,
      sessionId: 's',
      id: `e${seq}`,
      json: json(seq, seq === 2 ? 1000 : undefined),
      createdAt: '2025-01-01T00:00:00.000Z',
    }));
    const iterator = new RecordIterator(
      async function* () {
        yield page;
        yield [{ ...page[1]!, seq: 4 }]; // a page of nothing but expired records
        yield [{ ...page[0]!, seq: 5 }];
      },
      undefined,
      () => false,
    );
    const seqs: number[] = [];
    for await (const r of iterator) seqs.push(r.seq);
    expect(seqs).toEqual([1, 3, 5]);
  });
});
