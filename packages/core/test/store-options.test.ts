import { describe, expect, it } from 'vitest';
import { DEFAULT_STORE_OPTIONS, resolveStoreOptions } from '../src/backend.js';
import { createMemoryHistoryStore } from '../src/index.js';
import { assertKnownOptions } from '../src/store-options.js';

describe('resolveStoreOptions', () => {
  it('fills defaults, lets a backend tune them and the caller override them', () => {
    expect(resolveStoreOptions(undefined)).toEqual(DEFAULT_STORE_OPTIONS);
    const resolved = resolveStoreOptions({ maxBatchSize: 5 }, { maxBatchSize: 50, retries: 9 });
    expect(resolved.maxBatchSize).toBe(5);
    expect(resolved.retries).toBe(9);
  });

  it('leaves unknown keys to the backend', () => {
    expect(() => resolveStoreOptions({ filename: 'x.db' })).not.toThrow();
  });

  it('assertKnownOptions accepts common and adapter keys and names the first unknown one', () => {
    expect(() =>
      assertKnownOptions({ filename: 'x.db', maxBatchSize: 5 }, ['filename']),
    ).not.toThrow();
    expect(() => assertKnownOptions({ filename: 'x.db', fileName: 'y' }, ['filename'])).toThrow(
      expect.objectContaining({ code: 'HISTORY_INVALID_ARGUMENT', field: 'options.fileName' }),
    );
    expect(() => createMemoryHistoryStore({ maxBatchsize: 5 } as never)).toThrow(
      expect.objectContaining({ field: 'options.maxBatchsize' }),
    );
  });

  it.each([
    [{ maxBatchSize: 0 }, 'options.maxBatchSize'],
    [{ maxEnvelopeBytes: -1 }, 'options.maxEnvelopeBytes'],
    [{ maxQueuedEvents: 1.5 }, 'options.maxQueuedEvents'],
    [{ backpressure: 'drop' }, 'options.backpressure'],
    [{ retries: -1 }, 'options.retries'],
    [{ onMetrics: 'log' }, 'options.onMetrics'],
    [{ defaultSessionId: '' }, 'options.defaultSessionId'],
    [{ defaultSessionId: 'a\u0000' }, 'options.defaultSessionId'],
    ['fast', 'options'],
  ])('rejects %j naming %s', (options, field) => {
    expect(() => resolveStoreOptions(options)).toThrow(
      expect.objectContaining({ code: 'HISTORY_INVALID_ARGUMENT', field }),
    );
    expect(() => createMemoryHistoryStore(options as never)).toThrow(
      expect.objectContaining({ field }),
    );
  });
});
