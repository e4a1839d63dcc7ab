import { describe, expect, it } from 'vitest';
import { DEFAULT_STORE_OPTIONS, MemoryBackend, prepareEnvelope } from '../src/backend.js';
import { BatchWriter } from '../src/batch-writer.js';
import type { BatchCondition } from '../src/history-backend.js';
import { ConflictError } from '../src/index.js';

const prepare = (id: string, sessionId = 's1') =>
  prepareEnvelope(
    { id, type: 't', payload: {}, occurredAt: '2025-01-01T00:00:00Z', sessionId },
    { maxEnvelopeBytes: 1 << 20, defaultSessionId: 'default' },
  );

/** A writer over a memory backend recording each batch's ids and conditions. */
function recordingWriter(options: { maxConcurrentBatches?: number } = {}) {
  const backend = new MemoryBackend();
  const log: Array<{ ids: string[]; conditions?: BatchCondition[] } | string> = [];
  const writer = new BatchWriter({
    ...DEFAULT_STORE_OPTIONS,
    ...options,
    name: 'test',
    async writeBatch(records, conditions) {
      log.push({
        ids: records.map((r) => r.id),
        ...(conditions ? { conditions: [...conditions] } : {}),
      });
      await new Promise((resolve) => setImmediate(resolve));
      return backend.writeBatch(records, conditions);
    },
  });
  return { writer, log, backend };
}

describe('BatchWriter.runExclusive', () => {
  it.each([1, 4])(
    'runs after everything enqueued before it and before everything after (%i in flight)',
    async (maxConcurrentBatches) => {
      const { writer, log } = recordingWriter({ maxConcurrentBatches });
      const before = [writer.enqueue([prepare('a')]), writer.enqueue([prepare('b', 's2')])];
      const op = writer.runExclusive(async () => {
        log.push('op');
        await new Promise((resolve) => setImmediate(resolve));
        log.push('op done');
        return 42;
      });
      const after = writer.enqueue([prepare('c')]);
      await expect(op).resolves.toBe(42);
      await Promise.all([...before, after]);
      const order = log.map((entry) => (typeof entry === 'string' ? entry : entry.ids.join(',')));
      const opAt = order.indexOf('op');
      expect(order.indexOf('op done')).toBe(opAt + 1);
      expect(order.slice(0, opAt).join(',').split(',').sort()).toEqual(['a', 'b']);
      expect(order.slice(opAt + 2)).toEqual(['c']);
    },
  );

  it('passes its failure to its caller only, and writing goes on', async () => {
    const { writer } = recordingWriter();
    const op = writer.runExclusive(async () => {
      throw new Error('op failed');
    });
    const after = writer.enqueue([prepare('x')]);
    await expect(op).rejects.toThrow('op failed');
    await expect(after).resolves.toMatchObject([{ seq: 1 }]);
  });

  it('keeps its place behind appends still waiting for room in the queue', async () => {
    const backend = new MemoryBackend();
    const log: string[] = [];
    const writer = new BatchWriter({
      ...DEFAULT_STORE_OPTIONS,
      maxQueuedEvents: 3,
      maxBatchSize: 1,
      name: 'test',
      async writeBatch(records) {
        log.push(...records.map((r) => r.id));
        await new Promise((resolve) => setImmediate(resolve));
        return backend.writeBatch(records);
      },
    });
    // Three fit in the queue; 'd' waits for room when the operation is asked for.
    const before = ['a', 'b', 'c', 'd'].map((id) => writer.enqueue([prepare(id)]));
    const op = writer.runExclusive(async () => {
      log.push('op');
    });
    const after = writer.enqueue([prepare('f')]);
    await Promise.all([...before, op, after]);
    expect(log).toEqual(['a', 'b', 'c', 'd', 'op', 'f']);
  });

  it('runs back-to-back operations in order', async () => {
    const { writer } = recordingWriter();
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        writer.runExclusive(async () => {
          order.push(n);
        }),
      ),
    );
    expect(order).toEqual([1, 2, 3]);
  });
});

describe('BatchWriter conditions', () => {
  it('hands the backend one condition per conditional call, as ranges of the deduplicated batch', async () => {
    const { writer, log } = recordingWriter();
    const results = Promise.all([
      writer.enqueue([prepare('a')]),
      // Its first record repeats 'a' earlier in the batch: its condition covers only 'd', 'e'.
      writer.enqueue([prepare('a'), prepare('d'), prepare('e')], 1),
      writer.enqueue([prepare('f', 's2')]),
      writer.enqueue([prepare('g', 's2')], 1),
    ]);
    await results;
    expect(log).toEqual([
      {
        ids: ['a', 'd', 'e', 'f', 'g'],
        conditions: [
          { start: 1, count: 2, expectedSeq: 1 },
          { start: 4, count: 1, expectedSeq: 1 },
        ],
      },
    ]);
  });

  it('rejects a conflicting call with ConflictError and settles the rest of its batch', async () => {
    const { writer } = recordingWriter();
    const plain = writer.enqueue([prepare('a')]);
    const wrong = writer.enqueue([prepare('b'), prepare('c')], 5);
    const other = writer.enqueue([prepare('d', 's2')], 0);
    await expect(plain).resolves.toMatchObject([{ seq: 1 }]);
    const error = await wrong.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ConflictError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ sessionId: 's1', expectedSeq: 5, actualSeq: 1 });
    await expect(other).resolves.toMatchObject([{ seq: 1, sessionId: 's2' }]);
  });

  it('sends no conditions for a batch without conditional calls', async () => {
    const { writer, log } = recordingWriter();
    await writer.enqueue([prepare('a'), prepare('b')]);
    expect(log).toEqual([{ ids: ['a', 'b'] }]);
  });
});
