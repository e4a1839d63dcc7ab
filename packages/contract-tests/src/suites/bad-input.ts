import { HistoryError, type StoreOptions } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { collect, envelope, envelopes, type Harness, ids } from '../harness.js';

const cyclic = () => {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
};

/** Invalid input is rejected with a typed error naming the field, and poisons nothing. */
export function badInputSuite(_subject: ContractSubject, h: Harness): void {
  describe('bad input', () => {
    const invalidEnvelopes: Array<[string, unknown, string]> = [
      ['missing id', { ...envelope(1), id: undefined }, 'id'],
      ['empty id', envelope(1, { id: '' }), 'id'],
      ['numeric id', { ...envelope(1), id: 7 }, 'id'],
      ['missing type', { ...envelope(1), type: undefined }, 'type'],
      ['missing payload', { ...envelope(1), payload: undefined }, 'payload'],
      ['BigInt payload', envelope(1, { payload: { n: 10n } }), 'payload'],
      ['cyclic payload', envelope(1, { payload: cyclic() }), 'payload'],
      ['function payload', envelope(1, { payload: () => 1 }), 'payload'],
      ['numeric occurredAt', { ...envelope(1), occurredAt: 1735732800000 }, 'occurredAt'],
      [
        'occurredAt without offset',
        envelope(1, { occurredAt: '2025-01-01T12:00:00' }),
        'occurredAt',
      ],
      ['date-only occurredAt', envelope(1, { occurredAt: '2025-01-01' }), 'occurredAt'],
      ['impossible date', envelope(1, { occurredAt: '2025-02-30T00:00:00Z' }), 'occurredAt'],
      ['free-text occurredAt', envelope(1, { occurredAt: 'yesterday' }), 'occurredAt'],
      [
        'occurredAt in year 0000',
        envelope(1, { occurredAt: '0000-06-01T00:00:00Z' }),
        'occurredAt',
      ],
      [
        'occurredAt whose offset moves it before year 0001',
        envelope(1, { occurredAt: '0001-01-01T00:00:00+01:00' }),
        'occurredAt',
      ],
      [
        'occurredAt whose offset moves it past year 9999',
        envelope(1, { occurredAt: '9999-12-31T23:00:00-05:00' }),
        'occurredAt',
      ],
      ['negative ttlMs', envelope(1, { ttlMs: -5 }), 'ttlMs'],
      ['fractional ttlMs', envelope(1, { ttlMs: 1.5 }), 'ttlMs'],
      ['array headers', { ...envelope(1), headers: ['x'] }, 'headers'],
      ['numeric source', { ...envelope(1), source: 5 }, 'source'],
      ['NUL in sessionId', envelope(1, { sessionId: 'a\u0000b' }), 'sessionId'],
      ['4 KB sessionId', envelope(1, { sessionId: 's'.repeat(4096) }), 'sessionId'],
      ['empty sessionId', envelope(1, { sessionId: '' }), 'sessionId'],
      ['lone surrogate in sessionId', envelope(1, { sessionId: 'bad\ud800' }), 'sessionId'],
      ['NUL in id', envelope(1, { id: 'x\u0000' }), 'id'],
    ];

    it.each(invalidEnvelopes)(
      'rejects an envelope with %s, naming the field',
      async (_, bad, field) => {
        const store = await h.open();
        const error = await store.append(bad as never).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(HistoryError.isInstance(error)).toBe(true);
        expect(error).toMatchObject({ code: 'HISTORY_INVALID_ENVELOPE', field });
        expect((error as Error).message).toContain(field);
      },
    );

    it.each([null, 'text', 42, [envelope(1)], undefined])(
      'rejects a non-object envelope (%s)',
      async (bad) => {
        const store = await h.open();
        await expect(store.append(bad as never)).rejects.toMatchObject({
          code: 'HISTORY_INVALID_ENVELOPE',
        });
      },
    );

    it.each(['maxBatchsize', 'fileName', 'durabilty'])(
      'refuses to open with an unknown option (%s), naming it',
      async (key) => {
        const error = await h.open({ [key]: 1 } as StoreOptions).catch((e: unknown) => e);
        expect(HistoryError.hasCode(error, 'HISTORY_INVALID_ARGUMENT')).toBe(true);
        expect((error as { field?: string }).field).toBe(`options.${key}`);
      },
    );

    it('rejects an envelope over maxEnvelopeBytes and accepts one at the limit', async () => {
      const store = await h.open({ maxEnvelopeBytes: 2048 });
      const base = JSON.stringify(envelope(1, { payload: '' })).length;
      const fits = envelope(1, { payload: 'x'.repeat(2048 - base) });
      const over = envelope(1, { id: 'evt-2', payload: 'x'.repeat(2049 - base) });
      await expect(store.append(over)).rejects.toMatchObject({
        code: 'HISTORY_ENVELOPE_TOO_LARGE',
        bytes: 2049,
        limit: 2048,
      });
      await expect(store.append(fits)).resolves.toMatchObject({ seq: 1 });
    });

    it('counts multi-byte characters against maxEnvelopeBytes', async () => {
      const store = await h.open({ maxEnvelopeBytes: 2048 });
      await expect(store.append(envelope(1, { payload: '🧠'.repeat(600) }))).rejects.toMatchObject({
        code: 'HISTORY_ENVELOPE_TOO_LARGE',
      });
    });

    it('rejects a whole appendMany naming the bad element, storing none of it', async () => {
      const store = await h.open();
      const batch = [envelope(1), { ...envelope(2), id: undefined }, envelope(3)];
      await expect(store.appendMany(batch as never)).rejects.toMatchObject({
        code: 'HISTORY_INVALID_ENVELOPE',
        field: 'envelopes[1].id',
      });
      expect(await collect(() => store.stream('s1'))).toEqual([]);
    });

    it('rejects appendMany of something other than an array', async () => {
      const store = await h.open();
      await expect(store.appendMany(envelope(1) as never)).rejects.toMatchObject({
        code: 'HISTORY_INVALID_ARGUMENT',
        field: 'envelopes',
      });
    });

    it('lets valid appends through while invalid ones are rejected alongside', async () => {
      const store = await h.open();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 60 }, (_, k) =>
          k % 3 === 0
            ? store.append(envelope(k, { payload: { n: BigInt(k) } }))
            : store.append(envelope(k)),
        ),
      );
      expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(20);
      const stored = await ids(() => store.stream('s1'));
      expect(stored).toEqual(
        Array.from({ length: 60 }, (_, k) => k)
          .filter((k) => k % 3 !== 0)
          .map((k) => `evt-${k}`),
      );
    });

    it('stores hostile but valid session ids exactly and keeps them apart', async () => {
      const store = await h.open();
      const sessions = [
        '../../etc/passwd',
        '/absolute',
        'a/b\\c',
        '..',
        '.',
        'CON',
        'aux.txt',
        'Session',
        'session',
        'SESSION',
        ' spaced ',
        '会话-🧠',
        'quote\'"; DROP TABLE history; --',
        '%2e%2e%2f',
        'é'.normalize('NFC'),
        'é'.normalize('NFD'),
        'x'.repeat(512),
      ];
      for (const [k, sessionId] of sessions.entries()) {
        await store.appendMany(envelopes(k + 1, { sessionId }));
      }
      for (const [k, sessionId] of sessions.entries()) {
        const records = await collect(() => store.stream(sessionId));
        expect(records).toHaveLength(k + 1);
        expect(records.every((r) => r.sessionId === sessionId)).toBe(true);
      }
    });

    it.each([
      ['NUL', 'a\u0000b'],
      ['too long', 'x'.repeat(513)],
      ['empty', ''],
      ['non-string', 42],
    ])('rejects a %s session id in stream and getCheckpoint', async (_, sessionId) => {
      const store = await h.open();
      await expect(collect(() => store.stream(sessionId as string))).rejects.toMatchObject({
        code: 'HISTORY_INVALID_ARGUMENT',
        field: 'sessionId',
      });
      await expect(store.getCheckpoint(sessionId as string)).rejects.toMatchObject({
        code: 'HISTORY_INVALID_ARGUMENT',
        field: 'sessionId',
      });
      await expect(store.checkpoint(sessionId as string, {})).rejects.toMatchObject({
        field: 'sessionId',
      });
    });

    it.each([
      [{ limit: -1 }, 'range.limit'],
      [{ limit: 1.5 }, 'range.limit'],
      [{ after: '3' }, 'range.after'],
      [{ after: Number.NaN }, 'range.after'],
      [{ direction: 'sideways' }, 'range.direction'],
      [{ from: 'not a date' }, 'range.from'],
      [{ to: '2025-01-01' }, 'range.to'],
      [{ from: '0000-01-01T00:00:00Z' }, 'range.from'],
      [{ to: '9999-12-31T23:59:59-00:01' }, 'range.to'],
      [{ before: 3 }, 'range.before'],
      ['everything', 'range'],
    ])('rejects stream range %j naming %s', async (range, field) => {
      const store = await h.open();
      await expect(collect(() => store.stream('s1', range as never))).rejects.toMatchObject({
        code: 'HISTORY_INVALID_ARGUMENT',
        field,
      });
    });

    it.each([
      [{ seq: -1 }, 'opts.seq'],
      [{ seq: 2.5 }, 'opts.seq'],
      [{ seq: '4' }, 'opts.seq'],
      ['seq', 'opts'],
    ])('rejects checkpoint options %j naming %s', async (opts, field) => {
      const store = await h.open();
      await expect(store.checkpoint('s1', {}, opts as never)).rejects.toMatchObject({
        code: 'HISTORY_INVALID_ARGUMENT',
        field,
      });
    });

    it('rejects checkpoint payloads that are not JSON or too large', async () => {
      const store = await h.open({ maxEnvelopeBytes: 1024 });
      await expect(store.checkpoint('s1', undefined)).rejects.toMatchObject({ field: 'payload' });
      await expect(store.checkpoint('s1', cyclic())).rejects.toMatchObject({ field: 'payload' });
      await expect(store.checkpoint('s1', 'x'.repeat(2000))).rejects.toMatchObject({
        code: 'HISTORY_ENVELOPE_TOO_LARGE',
      });
      expect(await store.getCheckpoint('s1')).toBeNull();
    });

    it('keeps the store fully usable after every kind of rejection', async () => {
      const store = await h.open();
      await store.append({ nope: true } as never).catch(() => {});
      await store.appendMany('x' as never).catch(() => {});
      await collect(() => store.stream('', {})).catch(() => {});
      await store.checkpoint('s1', 1n).catch(() => {});
      await store.appendMany(envelopes(3));
      await store.checkpoint('s1', { ok: true }, { seq: 3 });
      expect(await ids(() => store.stream('s1'))).toEqual(['evt-1', 'evt-2', 'evt-3']);
      expect((await store.getCheckpoint('s1'))?.payload).toEqual({ ok: true });
    });
  });
}
