import { describe, expect, it } from 'vitest';
import {
  createBackendStore,
  MemoryBackend,
  resolveStoreOptions,
  type StoredRecord,
} from '../src/backend.js';
import { StorageError } from '../src/index.js';

const options = resolveStoreOptions({ retries: 0 });
const at = '2025-01-01T00:00:00Z';

const BACKEND_METHODS = [
  'writeBatch',
  'readPages',
  'writeCheckpoint',
  'readCheckpoint',
  'listSessions',
  'getSession',
  'deleteSession',
  'purgeExpired',
  'readFeed',
  'isFeedPosition',
  'close',
];

describe('createBackendStore', () => {
  it.each(BACKEND_METHODS)('rejects a backend without %s', (method) => {
    const backend = new MemoryBackend() as unknown as Record<string, unknown>;
    const broken = { ...backend, name: 'x', [method]: undefined };
    for (const m of BACKEND_METHODS) {
      if (m !== method) broken[m] = () => {};
    }
    expect(() => createBackendStore(broken as never, options)).toThrow(
      expect.objectContaining({ code: 'HISTORY_INVALID_ARGUMENT', field: `backend.${method}` }),
    );
  });

  it('wraps a failing write in StorageError naming the backend, and stays usable', async () => {
    const backend = new MemoryBackend();
    let fail = true;
    const write = backend.writeBatch.bind(backend);
    backend.writeBatch = async (records) => {
      if (fail) {
        fail = false;
        throw new Error('disk full');
      }
      return write(records);
    };
    const store = createBackendStore(backend, options);
    const error = await store
      .append({ id: 'a', type: 't', payload: 1, occurredAt: at })
      .catch((e: unknown) => e);
    expect(StorageError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('memory');
    expect((error as Error).message).toContain('disk full');
    await expect(
      store.append({ id: 'a', type: 't', payload: 1, occurredAt: at }),
    ).resolves.toMatchObject({
      seq: 1,
      duplicate: false,
    });
  });

  it('stops reading from the backend once limit records were yielded', async () => {
    const backend = new MemoryBackend();
    let pagesServed = 0;
    backend.readPages = async function* (): AsyncIterable<StoredRecord[]> {
      for (let p = 0; p < 100; p++) {
        pagesServed++;
        yield [{ seq: p + 1, sessionId: 's', id: `e${p}`, json: '{"id":"x"}', createdAt: at }];
      }
    };
    const store = createBackendStore(backend, options);
    const seen: number[] = [];
    for await (const r of store.stream('s', { limit: 3 })) seen.push(r.seq);
    expect(seen).toEqual([1, 2, 3]);
    expect(pagesServed).toBe(3);
  });

  it('closes the backend exactly once, after pending appends', async () => {
    const backend = new MemoryBackend();
    let closes = 0;
    let writesAtClose = -1;
    let writes = 0;
    const write = backend.writeBatch.bind(backend);
    backend.writeBatch = async (r) => {
      writes += r.length;
      return write(r);
    };
    backend.close = async () => {
      closes++;
      writesAtClose = writes;
    };
    const store = createBackendStore(backend, options);
    const pending = Array.from({ length: 50 }, (_, i) =>
      store.append({ id: `e${i}`, type: 't', payload: i, occurredAt: at }),
    );
    await Promise.all([store.close(), store.close()]);
    await Promise.all(pending);
    expect(closes).toBe(1);
    expect(writesAtClose).toBe(50);
  });
});
