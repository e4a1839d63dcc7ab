import { envelope } from '@history/contract-tests';
import type { AppendResult, Envelope, HistoryStore } from '@history/core';
import { prepareEnvelope } from '@history/core/backend';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cleanups, openBackendStore } from './backend-store.js';
import { purgeAll } from './purge-all.js';

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A store and its backend on `root` (a new one when not given). */
const open = (options: Record<string, unknown> = {}, root?: string) =>
  openBackendStore(cleanups, options, root);

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
/** Expired at T0 + 1, when the purges below run. */
const expired = (k: number, sessionId = 's') =>
  envelope(k, { sessionId, id: `e${k}`, occurredAt: new Date(T0).toISOString(), ttlMs: 1 });
/** The same id, as a new event that does not expire. */
const again = (k: number, sessionId = 's') =>
  envelope(k, { sessionId, id: `e${k}`, occurredAt: new Date(T0 + 1).toISOString() });

const prepared = (e: Envelope) =>
  prepareEnvelope(e, { maxEnvelopeBytes: 1 << 20, defaultSessionId: 'default' });

async function seqById(store: HistoryStore, sessionId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const r of store.stream(sessionId)) {
    expect(out.has(r.id)).toBe(false);
    out.set(r.id, r.seq);
  }
  return out;
}

/** Each append told new is stored at its seq, and a retry of it is told duplicate. */
async function expectKept(
  store: HistoryStore,
  appended: Array<{ envelope: Envelope; result: AppendResult }>,
): Promise<void> {
  const stored = await seqById(store, 's');
  for (const { envelope: e, result } of appended) {
    if (result.duplicate) continue;
    expect(stored.get(e.id)).toBe(result.seq);
    await expect(store.append(e)).resolves.toMatchObject({ seq: result.seq, duplicate: true });
  }
}

describe('the ids a compaction removes', () => {
  it('appended again once the writer forgot them, before the rename: new events the rename keeps, whose retries are duplicates, also after reopening', async () => {
    const { store, backend, root } = await open();
    await store.appendMany(Array.from({ length: 100 }, (_, k) => expired(k)));
    const appended: Array<Promise<AppendResult>> = [];
    backend.purger.onStep = (step) => {
      if (step === 'forgotten') appended.push(store.append(again(5)), store.append(again(7)));
    };
    expect(await purgeAll(backend, { now: T0 + 1 })).toBe(100);
    expect(await Promise.all(appended)).toMatchObject([
      { seq: 101, duplicate: false },
      { seq: 102, duplicate: false },
    ]);
    expect([...(await seqById(store, 's'))]).toEqual([
      ['e5', 101],
      ['e7', 102],
    ]);
    await store.close();
    const reopened = await open({}, root);
    await expect(reopened.store.append(again(5))).resolves.toMatchObject({
      seq: 101,
      duplicate: true,
    });
    await expect(reopened.store.append(again(7))).resolves.toMatchObject({
      seq: 102,
      duplicate: true,
    });
    await expect(reopened.store.append(again(9))).resolves.toMatchObject({
      seq: 103,
      duplicate: false,
    });
  });

  it('appended again at any moment of a compaction: each one told new is kept, once', async () => {
    const { store, backend } = await open();
    await store.appendMany(Array.from({ length: 3_000 }, (_, k) => expired(k)));
    const appended: Array<Promise<{ envelope: Envelope; result: AppendResult }>> = [];
    const reappend = (k: number) =>
      appended.push(store.append(again(k)).then((result) => ({ envelope: again(k), result })));
    let step = 0;
    // Through the whole compaction, from the copy on: before, during and after the forgetting.
    backend.purger.onStep = () => {
      for (let k = 0; k < 3_000; k += 97) reappend(k + step);
      step++;
    };
    const purging = purgeAll(backend, { now: T0 + 1 });
    for (let k = 1; k < 3_000; k += 89) reappend(k);
    await purging;
    await expectKept(store, await Promise.all(appended));
  });

  it('forgotten, then loaded again from the file not yet replaced: the rename drops that state', async () => {
    // Room for fewer ids than the session keeps: a batch to another session drops its state.
    const { store, backend } = await open({ maxCachedIds: 50 });
    await store.appendMany(Array.from({ length: 100 }, (_, k) => expired(k)));
    await store.appendMany(Array.from({ length: 60 }, (_, k) => again(100 + k)));
    const written: Array<Promise<unknown>> = [];
    backend.purger.onStep = (step) => {
      if (step !== 'forgotten') return;
      // Straight on the backend, so both run before the rename: the first drops the state of
      // `s`, the second loads it again, with the ids just forgotten.
      written.push(backend.writeBatch([prepared(envelope(1, { sessionId: 'other' }))]));
      written.push(backend.writeBatch([prepared(envelope(2, { sessionId: 's', id: 'new' }))]));
    };
    expect(await purgeAll(backend, { now: T0 + 1 })).toBe(100);
    await Promise.all(written);
    await expect(store.append(again(3))).resolves.toMatchObject({ seq: 162, duplicate: false });
    const stored = await seqById(store, 's');
    expect([stored.get('new'), stored.get('e3'), stored.size]).toEqual([161, 162, 62]);
  });
});
