import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { envelope, type Harness, ids } from '../harness.js';

const at = (i: number, occurredAt: string) => envelope(i, { occurredAt });

/** `from` / `to` filters on occurredAt, compared as instants. */
export function timeRangeSuite(_subject: ContractSubject, h: Harness): void {
  describe('time ranges', () => {
    const fixture = [
      at(1, '2025-01-01T08:00:00.000Z'),
      at(2, '2025-01-01T10:00:00.000+02:00'), // same instant as evt-1
      at(3, '2025-01-01T08:30:00Z'),
      at(4, '2025-01-01T04:00:00-05:00'), // 09:00Z
      at(5, '2025-01-01T09:00:00.001Z'),
      at(6, '2025-01-01T14:45:00+05:45'), // 09:00Z
      at(7, '2025-01-01T07:59:59.999Z'),
    ];

    it('stores and filters the first and last instants of years 0001-9999, whatever the offset', async () => {
      const store = await h.open();
      // Another event in the same batch must not be failed by the extreme ones.
      await store.appendMany([
        at(1, '0001-01-01T00:00:00Z'),
        at(2, '0001-01-01T05:30:00+05:30'),
        at(3, '2025-01-01T08:00:00Z'),
        at(4, '9999-12-31T23:59:59.999Z'),
        at(5, '9999-12-31T18:59:59.999-05:00'),
      ]);
      expect(await ids(() => store.stream('s1'))).toEqual([
        'evt-1',
        'evt-2',
        'evt-3',
        'evt-4',
        'evt-5',
      ]);
      expect(
        await ids(() =>
          store.stream('s1', { from: '0001-01-01T00:00:00Z', to: '0001-01-01T00:00:00Z' }),
        ),
      ).toEqual(['evt-1', 'evt-2']);
      expect(await ids(() => store.stream('s1', { from: '9999-12-31T23:59:59.999Z' }))).toEqual([
        'evt-4',
        'evt-5',
      ]);
    });

    it('includes records at exactly from', async () => {
      const store = await h.open();
      await store.appendMany(fixture);
      expect(await ids(() => store.stream('s1', { from: '2025-01-01T09:00:00Z' }))).toEqual([
        'evt-4',
        'evt-5',
        'evt-6',
      ]);
    });

    it('includes records at exactly to', async () => {
      const store = await h.open();
      await store.appendMany(fixture);
      expect(await ids(() => store.stream('s1', { to: '2025-01-01T08:00:00Z' }))).toEqual([
        'evt-1',
        'evt-2',
        'evt-7',
      ]);
    });

    it('compares offsets as instants, not as strings', async () => {
      const store = await h.open();
      await store.appendMany(fixture);
      const window = { from: '2025-01-01T03:00:00-05:00', to: '2025-01-01T13:00:00+05:00' };
      // 08:00Z .. 08:00Z: exactly the two records at that instant.
      expect(await ids(() => store.stream('s1', window))).toEqual(['evt-1', 'evt-2']);
    });

    it('tells milliseconds apart at the bounds', async () => {
      const store = await h.open();
      await store.appendMany(fixture);
      expect(
        await ids(() =>
          store.stream('s1', { from: '2025-01-01T09:00:00.001Z', to: '2025-01-01T09:00:00.001Z' }),
        ),
      ).toEqual(['evt-5']);
      expect(await ids(() => store.stream('s1', { to: '2025-01-01T07:59:59.998Z' }))).toEqual([]);
    });

    it('yields in seq order even when occurredAt is not monotonic', async () => {
      const store = await h.open();
      await store.appendMany(fixture);
      expect(
        await ids(() =>
          store.stream('s1', { from: '2025-01-01T08:00:00Z', to: '2025-01-01T09:00:00Z' }),
        ),
      ).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-6']);
    });

    it('combines time bounds with after, limit and direction', async () => {
      const store = await h.open();
      await store.appendMany(fixture);
      const from = '2025-01-01T08:00:00Z';
      expect(await ids(() => store.stream('s1', { from, after: 2, limit: 2 }))).toEqual([
        'evt-3',
        'evt-4',
      ]);
      expect(
        await ids(() => store.stream('s1', { from, direction: 'backward', after: 6, limit: 3 })),
      ).toEqual(['evt-5', 'evt-4', 'evt-3']);
    });

    it('yields nothing when from is after to', async () => {
      const store = await h.open();
      await store.appendMany(fixture);
      expect(
        await ids(() =>
          store.stream('s1', { from: '2025-01-02T00:00:00Z', to: '2025-01-01T00:00:00Z' }),
        ),
      ).toEqual([]);
    });

    it('applies limit after filtering, across many records', async () => {
      const store = await h.open();
      const many = Array.from({ length: 600 }, (_, k) =>
        at(k + 1, new Date(Date.UTC(2025, 0, 1) + (k % 2) * 86_400_000 + k).toISOString()),
      );
      await store.appendMany(many);
      const found = await ids(() =>
        store.stream('s1', { from: '2025-01-02T00:00:00Z', limit: 250 }),
      );
      expect(found).toHaveLength(250);
      expect(found[0]).toBe('evt-2');
      expect(found.at(-1)).toBe('evt-500');
    });
  });
}
