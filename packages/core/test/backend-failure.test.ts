import { describe, expect, it } from 'vitest';
import {
  createBackendStore,
  type HistoryBackend,
  MemoryBackend,
  resolveStoreOptions,
} from '../src/backend.js';
import { backendFailure } from '../src/backend-failure.js';
import { ClosedError, type HistoryStore, StorageError } from '../src/index.js';

/** A driver's own error: a plain Error with a code, as pg, better-sqlite3 and fs throw. */
const driverError = (code: string) => Object.assign(new Error(`driver says ${code}`), { code });

const envelope = { id: 'a', type: 't', payload: 1, occurredAt: '2026-01-01T00:00:00Z' };

/** A real memory backend whose every operation throws `error`. */
function failingBackend(error: unknown, isTransient?: (e: unknown) => boolean): HistoryBackend {
  const backend = new MemoryBackend();
  return {
    name: 'flaky',
    writeBatch: async () => {
      throw error;
    },
    // biome-ignore lint/correctness/useYield: fails before its first page
    async *readPages() {
      throw error;
    },
    writeCheckpoint: async () => {
      throw error;
    },
    readCheckpoint: async () => {
      throw error;
    },
    listSessions: async () => {
      throw error;
    },
    getSession: async () => {
      throw error;
    },
    deleteSession: async () => {
      throw error;
    },
    purgeExpired: async () => {
      throw error;
    },
    readFeed: async () => {
      throw error;
    },
    isFeedPosition: (position) => backend.isFeedPosition(position),
    close: async () => {
      await backend.close();
      throw error;
    },
    ...(isTransient ? { isTransient } : {}),
  };
}

describe('one error path for backend failures', () => {
  const calls: [string, (s: HistoryStore) => Promise<unknown>][] = [
    ['append', (s) => s.append(envelope)],
    [
      'stream',
      async (s) => {
        for await (const _ of s.stream('default')) {
          // never reached
        }
      },
    ],
    [
      'feed',
      async (s) => {
        for await (const _ of s.feed()) {
          // never reached
        }
      },
    ],
    ['checkpoint', (s) => s.checkpoint('default', { at: 1 })],
    ['getCheckpoint', (s) => s.getCheckpoint('default')],
    ['close', (s) => s.close()],
  ];
  it.each(calls)(
    'wraps a driver error of %s once, naming backend, operation and cause',
    async (operation, call) => {
      const cause = driverError('EPERM');
      const store = createBackendStore(failingBackend(cause), resolveStoreOptions({ retries: 0 }));
      const error = await Promise.resolve(call(store)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(StorageError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'HISTORY_STORAGE',
        backend: 'flaky',
        operation,
        transient: false,
        message: `flaky: ${operation} failed: driver says EPERM`,
      });
      expect((error as StorageError).cause).toBe(cause);
      await store.close().catch(() => {});
    },
  );

  it("marks it transient as the backend's isTransient classifies the driver error, and retries it", async () => {
    let calls = 0;
    const backend = failingBackend(
      driverError('BUSY'),
      (e) => (e as { code?: string }).code === 'BUSY',
    );
    const counting = {
      ...backend,
      writeBatch: async (records: Parameters<HistoryBackend['writeBatch']>[0]) => {
        calls++;
        return backend.writeBatch(records);
      },
    };
    const store = createBackendStore(
      counting,
      resolveStoreOptions({ retries: 2, retryDelayMs: 1 }),
    );
    await expect(store.append(envelope)).rejects.toMatchObject({
      code: 'HISTORY_STORAGE',
      transient: true,
      operation: 'append',
    });
    expect(calls).toBe(3);
    await store.close().catch(() => {});
  });

  it('passes a HistoryError the backend raised on purpose through unchanged', () => {
    const own = new StorageError('file: x is corrupt');
    expect(backendFailure({ name: 'file' }, 'stream', own)).toBe(own);
    const closed = new ClosedError('stream');
    expect(backendFailure({ name: 'file' }, 'stream', closed)).toBe(closed);
  });

  it('counts a classifier that throws as not transient, and wraps non-Error values', () => {
    const failure = backendFailure(
      {
        name: 'odd',
        isTransient: () => {
          throw new Error('classifier bug');
        },
      },
      'append',
      'a string',
    );
    expect(failure).toMatchObject({ transient: false, message: 'odd: append failed: a string' });
  });
});
