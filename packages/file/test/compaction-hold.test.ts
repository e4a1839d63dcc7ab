import { envelope } from '@history/contract-tests';
import type { Envelope } from '@history/core';
import { prepareEnvelope, type WriteOutcome } from '@history/core/backend';
import { afterEach, describe, expect, it } from 'vitest';
import type { FileBackend } from '../src/file-backend.js';
import { type Cleanups, openBackendStore } from './backend-store.js';
import { purgeAll } from './purge-all.js';
import { seqIds } from './seq-ids.js';

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const open = (durability: 'os' | 'fsync') => openBackendStore(cleanups, { durability });

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const write = (backend: FileBackend, e: Envelope) =>
  backend.writeBatch([prepareEnvelope(e, { maxEnvelopeBytes: 1 << 20, defaultSessionId: 'd' })]);

describe.each(['os', 'fsync'] as const)('a compaction (durability %s)', (durability) => {
  it('holds only its session: a batch to another session is written between its sync and its rename, one to the session waits and lands in the new file', async () => {
    const { backend, store } = await open(durability);
    for (let k = 0; k < 100; k++) {
      const occurredAt = new Date(T0).toISOString();
      await write(backend, envelope(k, { sessionId: 's', id: `e${k}`, occurredAt, ttlMs: 1 }));
    }
    const order: string[] = [];
    let same: Promise<WriteOutcome[]> | undefined;
    let other: WriteOutcome[] | undefined;
    backend.purger.onStep = (step) => {
      order.push(step);
      if (step !== 'synced') return;
      // Queued in this order on the writer: the batch to `other` first (a batch to `s`
      // waiting for the compaction must not be ahead of it), then the one to `s`.
      const writingOther = write(backend, envelope(1, { sessionId: 'other', id: 'o1' }));
      same = write(backend, envelope(1, { sessionId: 's', id: 'during' })).then((r) => {
        order.push('s written');
        return r;
      });
      // The compaction stays at this step until the batch to `other` is written.
      return writingOther.then((r) => {
        other = r;
        order.push('other written');
      });
    };
    expect(await purgeAll(backend, { now: T0 + 1 })).toBe(100);
    expect(await same).toMatchObject([{ seq: 101, duplicate: false }]);
    expect(other).toMatchObject([{ seq: 1, duplicate: false }]);
    expect(order).toEqual([
      'written',
      'forgotten',
      'synced',
      'other written',
      'renamed',
      's written',
    ]);
    expect(await seqIds(store, 's')).toEqual(['101:during']);
    expect(await seqIds(store, 'other')).toEqual(['1:o1']);
  });
});
