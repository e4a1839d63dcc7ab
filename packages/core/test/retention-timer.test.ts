import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { createBackendStore, MemoryBackend, resolveStoreOptions } from '../src/backend.js';
import { PURGE_CHANNEL, type PurgeMetrics } from '../src/index.js';

/** Resolves with the first purge report matching `accept`. */
function nextReport(accept: (m: PurgeMetrics) => boolean) {
  let onMetrics: (m: unknown) => void = () => {};
  const report = new Promise<PurgeMetrics>((resolve) => {
    onMetrics = (m) => {
      const metrics = m as PurgeMetrics;
      if (metrics.kind === 'purge' && accept(metrics)) resolve(metrics);
    };
  });
  return { report, onMetrics };
}

describe('the retention timer', () => {
  it('reports a failing purge through onMetrics and the channel, never to the caller', async () => {
    const backend = new MemoryBackend();
    let calls = 0;
    backend.purgeExpired = async () => {
      calls++;
      throw new Error('disk on fire');
    };
    const fromHook = nextReport((m) => !m.ok);
    const fromChannel = nextReport((m) => !m.ok);
    subscribe(PURGE_CHANNEL, fromChannel.onMetrics);
    try {
      const store = createBackendStore(
        backend,
        resolveStoreOptions({ retention: { intervalMs: 5 }, onMetrics: fromHook.onMetrics }),
      );
      const [hook, channel] = await Promise.all([fromHook.report, fromChannel.report]);
      for (const m of [hook, channel]) {
        expect(m).toMatchObject({ kind: 'purge', store: 'memory', ok: false, deletedEvents: 0 });
        expect(m.error).toMatchObject({ code: 'HISTORY_STORAGE', operation: 'purgeExpired' });
      }
      // The store is unharmed: appends and a manual purge's own failure still work as usual.
      await store.append({ id: 'a', type: 't', payload: 1, occurredAt: '2025-01-01T00:00:00Z' });
      await expect(store.purgeExpired()).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
      await store.close();
      // close() stopped the timer: no purge starts after it.
      const after = calls;
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(calls).toBe(after);
    } finally {
      unsubscribe(PURGE_CHANNEL, fromChannel.onMetrics);
    }
  });

  it('is off unless retention is given, and fills in the default interval', () => {
    expect(resolveStoreOptions({}).retention).toBeUndefined();
    expect(resolveStoreOptions({ retention: { maxAgeMs: 1000 } }).retention).toEqual({
      maxAgeMs: 1000,
      intervalMs: 60_000,
    });
  });

  it('close() waits for a purge under way, which stops after its chunk', async () => {
    const backend = new MemoryBackend();
    let chunks = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    backend.purgeExpired = async () => {
      chunks++;
      await gate;
      return { deletedEvents: 1000, sessions: 1, done: false };
    };
    const store = createBackendStore(backend, resolveStoreOptions({}));
    const purge = store.purgeExpired();
    await new Promise((resolve) => setImmediate(resolve));
    const closing = store.close();
    release();
    await closing;
    await expect(purge).resolves.toEqual({ deletedEvents: 1000, sessions: 1, done: false });
    expect(chunks).toBe(1);
  });
});
