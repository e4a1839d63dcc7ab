import { envelope } from '@history/contract-tests';
import type { HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cleanups, openBackendStore } from './backend-store.js';
import { purgeAll } from './purge-all.js';

const cleanups: Cleanups = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A store and its backend, so purges can be asked for at a chosen `now`. */
const open = () => openBackendStore(cleanups);

async function ids(store: HistoryStore, sessionId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of store.stream(sessionId)) out.push(r.id);
  return out;
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const HOUR = 3_600_000;
const at = (ms: number) => new Date(ms).toISOString();

describe('purge rounds', () => {
  it('remembers what it read: a later round removes what expired since, and what was appended since', async () => {
    const { store, backend } = await open();
    await store.appendMany([
      envelope(1, { sessionId: 's', id: 'hour', occurredAt: at(T0), ttlMs: HOUR }),
      envelope(2, { sessionId: 's', id: 'day', occurredAt: at(T0), ttlMs: 24 * HOUR }),
      envelope(3, { sessionId: 's', id: 'forever', occurredAt: at(T0) }),
    ]);
    expect(await purgeAll(backend, { now: T0 })).toBe(0);
    // Appended after the first round: read by the next one from where that stopped.
    await store.append(
      envelope(4, { sessionId: 's', id: 'minute', occurredAt: at(T0), ttlMs: 60_000 }),
    );
    expect(await purgeAll(backend, { now: T0 + 2 * 60_000 })).toBe(1);
    expect(await purgeAll(backend, { now: T0 + 2 * HOUR })).toBe(1);
    expect(await purgeAll(backend, { now: T0 + 2 * HOUR })).toBe(0);
    expect(await purgeAll(backend, { now: T0 + 48 * HOUR })).toBe(1);
    expect(await store.getSession('s')).toMatchObject({ lastSeq: 4, eventCount: 1 });
  });

  it('applies maxAgeMs and maxEventsPerSession, oldest first, keeping the last seq', async () => {
    const { store, backend } = await open();
    await store.appendMany(
      Array.from({ length: 10 }, (_, k) =>
        envelope(k, { sessionId: 'r', id: `e${k}`, occurredAt: at(T0 + k * HOUR) }),
      ),
    );
    // Older than 3 hours at T0 + 9 h: occurred at or before T0 + 6 h, e0..e6.
    expect(await purgeAll(backend, { now: T0 + 9 * HOUR, maxAgeMs: 3 * HOUR })).toBe(7);
    expect(await ids(store, 'r')).toEqual(['e7', 'e8', 'e9']);
    expect(await purgeAll(backend, { now: T0, maxEventsPerSession: 2 })).toBe(1);
    expect(await ids(store, 'r')).toEqual(['e8', 'e9']);
    expect(await store.getSession('r')).toMatchObject({ lastSeq: 10, eventCount: 2 });
  });

  it('a chunk stops at its limit inside a session and the next goes on there', async () => {
    const { store, backend } = await open();
    for (const sessionId of ['a', 'b']) {
      await store.appendMany(
        Array.from({ length: 5 }, (_, k) =>
          envelope(k, { sessionId, id: `e${k}`, occurredAt: at(T0), ttlMs: 1 }),
        ),
      );
    }
    const chunks = [];
    for (let done = false; !done; ) {
      const chunk = await backend.purgeExpired({ now: T0 + 1, limit: 3 });
      chunks.push(chunk);
      done = chunk.done;
    }
    expect(chunks.map((c) => c.deletedEvents)).toEqual([3, 3, 3, 1]);
    expect(chunks.at(-1)!.done).toBe(true);
    expect(await store.getSession('a')).toMatchObject({ lastSeq: 5, eventCount: 0 });
    expect(await store.getSession('b')).toMatchObject({ lastSeq: 5, eventCount: 0 });
  });

  it('rewrites a session once for all it may remove, however many chunks that is', async () => {
    const { store, backend } = await open();
    await store.appendMany(
      Array.from({ length: 2_500 }, (_, k) =>
        envelope(k, { sessionId: 'big', id: `e${k}`, occurredAt: at(T0), ttlMs: 1 }),
      ),
    );
    await store.append(envelope(9, { sessionId: 'big', id: 'kept', occurredAt: at(T0) }));
    const renames: string[] = [];
    backend.purger.onStep = (step, sessionId) => {
      if (step === 'renamed') renames.push(sessionId);
    };
    // Core's chunks are of 1,000 events; the whole budget lets one rewrite take all 2,500.
    const chunk = await backend.purgeExpired({ now: T0 + 1, limit: 1000, maxEvents: Infinity });
    expect(chunk.deletedEvents).toBe(2_500);
    expect(renames).toEqual(['big']);
    expect(await ids(store, 'big')).toEqual(['kept']);
    // Without the budget a chunk's limit bounds the rewrite.
    await store.appendMany(
      Array.from({ length: 5 }, (_, k) =>
        envelope(k, { sessionId: 'big', id: `f${k}`, occurredAt: at(T0), ttlMs: 1 }),
      ),
    );
    expect(await backend.purgeExpired({ now: T0 + 1, limit: 2 })).toMatchObject({
      deletedEvents: 2,
      done: false,
    });
  });
});
