import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STORE_OPTIONS,
  MemoryBackend,
  type PreparedEnvelope,
  prepareEnvelope,
} from '../src/backend.js';
import { BatchWriter, type BatchWriterOptions } from '../src/batch-writer.js';
import type { WriteOutcome } from '../src/history-backend.js';
import { type AppendResult, BATCH_CHANNEL, StorageError } from '../src/index.js';

const prepare = (i: number, sessionId = 's'): PreparedEnvelope =>
  prepareEnvelope(
    { id: `e${i}`, type: 't', payload: { i }, occurredAt: '2025-01-01T00:00:00Z', sessionId },
    { maxEnvelopeBytes: 1 << 20, defaultSessionId: 'default' },
  );

/** A real memory backend whose writes take time and can be made to fail. */
function slowBackend(delayMs = 2) {
  const backend = new MemoryBackend();
  const batches: string[][] = [];
  let failNext: unknown[] = [];
  return {
    backend,
    batches,
    failWith(...errors: unknown[]) {
      failNext = errors;
    },
    async writeBatch(records: readonly PreparedEnvelope[]): Promise<WriteOutcome[]> {
      batches.push(records.map((r) => r.id));
      await sleep(delayMs);
      const error = failNext.shift();
      if (error) throw error;
      return backend.writeBatch(records);
    },
  };
}

function writer(
  writeBatch: BatchWriterOptions['writeBatch'],
  options: Partial<BatchWriterOptions> = {},
): BatchWriter {
  return new BatchWriter({
    ...DEFAULT_STORE_OPTIONS,
    retryDelayMs: 1,
    name: 'test',
    writeBatch,
    ...options,
  });
}

describe('BatchWriter', () => {
  it('starts a small group within the same turn and a bulk group in the next one', async () => {
    const started: number[] = [];
    const w = writer(async (records) => {
      started.push(records.length);
      return new MemoryBackend().writeBatch(records);
    });
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const small = w.enqueue([prepare(1)]);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(started).toEqual([1]);
    await small;
    await turn();
    // A bulk call was validated synchronously by its caller: the backend waits one turn.
    const bulk = w.enqueue(Array.from({ length: 300 }, (_, i) => prepare(100 + i)));
    for (let i = 0; i < 20; i++) await Promise.resolve();
    expect(started).toEqual([1]);
    await turn();
    expect(started).toEqual([1, 300]);
    await expect(bulk).resolves.toHaveLength(300);
  });

  it("settles a bulk batch in the turn after its backend's, and a small one in the same turn", async () => {
    const order: string[] = [];
    // Completes without I/O: whatever runs after it in this turn adds to the same stall.
    const w = writer(async (records) => {
      setImmediate(() => order.push(`next turn after ${records.length}`));
      return new MemoryBackend().writeBatch(records);
    });
    await w.enqueue(Array.from({ length: 300 }, (_, i) => prepare(i)));
    order.push('bulk settled');
    await w.enqueue([prepare(1000)]);
    order.push('small settled');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(order).toEqual([
      'next turn after 300',
      'bulk settled',
      'small settled',
      'next turn after 1',
    ]);
  });

  it('groups 64 concurrent single appends into batches larger than one', async () => {
    const b = slowBackend();
    const w = writer((r) => b.writeBatch(r));
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => w.enqueue([prepare(i)])),
    );
    expect(results.map(([r]) => r!.seq)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(b.batches.length).toBeLessThan(64);
    expect(Math.max(...b.batches.map((x) => x.length))).toBeGreaterThan(1);
  });

  it('writes one batch at a time and never exceeds maxBatchSize or maxBatchBytes', async () => {
    const b = slowBackend(1);
    let inFlight = 0;
    let maxInFlight = 0;
    const bytes: number[] = [];
    const w = writer(
      async (records) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        bytes.push(records.reduce((n, r) => n + r.bytes, 0));
        try {
          return await b.writeBatch(records);
        } finally {
          inFlight--;
        }
      },
      { maxBatchSize: 7, maxBatchBytes: 700 },
    );
    await Promise.all(Array.from({ length: 100 }, (_, i) => w.enqueue([prepare(i)])));
    expect(maxInFlight).toBe(1);
    expect(Math.max(...b.batches.map((x) => x.length))).toBeLessThanOrEqual(7);
    expect(Math.max(...bytes)).toBeLessThanOrEqual(700);
  });

  it('keeps a group that fits in one batch together, and splits one that does not', async () => {
    const b = slowBackend(1);
    const w = writer((r) => b.writeBatch(r), { maxBatchSize: 10 });
    const first = w.enqueue([prepare(0)]);
    const group = w.enqueue(Array.from({ length: 8 }, (_, i) => prepare(100 + i)));
    const big = w.enqueue(Array.from({ length: 25 }, (_, i) => prepare(200 + i)));
    await Promise.all([first, group, big]);
    const holding = b.batches.filter((batch) => batch.includes('e100'));
    expect(holding).toHaveLength(1);
    expect(holding[0]).toEqual(
      expect.arrayContaining(Array.from({ length: 8 }, (_, i) => `e${100 + i}`)),
    );
    expect(b.batches.filter((batch) => batch.some((id) => id.startsWith('e2'))).length).toBe(3);
  });

  it('fails a batch as a whole: exactly its appends reject, with the cause, and later ones succeed', async () => {
    const b = slowBackend(5);
    const w = writer((r) => b.writeBatch(r), { retries: 0 });
    const first = w.enqueue([prepare(0)]);
    await sleep(1); // first batch in flight: the next ones queue behind it
    const cause = new Error('disk on fire');
    b.failWith(undefined, cause);
    const doomed = Array.from({ length: 5 }, (_, i) => w.enqueue([prepare(10 + i)]));
    const outcomes = await Promise.allSettled([first, ...doomed]);
    expect(outcomes[0]!.status).toBe('fulfilled');
    for (const o of outcomes.slice(1)) {
      expect(o.status).toBe('rejected');
      const reason = (o as PromiseRejectedResult).reason;
      expect(StorageError.isInstance(reason)).toBe(true);
      expect(reason.cause).toBe(cause);
    }
    const later = await w.enqueue([prepare(99)]);
    expect(later[0]!.seq).toBe(2);
  });

  it('retries transient failures and resolves without duplicating', async () => {
    const b = slowBackend(1);
    const transient = Object.assign(new Error('SQLITE_BUSY'), { code: 'SQLITE_BUSY' });
    const w = writer((r) => b.writeBatch(r), {
      retries: 3,
      isTransient: (e) => (e as { code?: string }).code === 'SQLITE_BUSY',
    });
    b.failWith(transient, transient);
    const [result] = await w.enqueue([prepare(1)]);
    expect(result).toMatchObject({ seq: 1, duplicate: false });
    expect(b.batches).toHaveLength(3);
  });

  it('does not retry errors that are not transient', async () => {
    const b = slowBackend(1);
    const w = writer((r) => b.writeBatch(r), { retries: 5, isTransient: () => false });
    b.failWith(new Error('constraint'));
    await expect(w.enqueue([prepare(1)])).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
    expect(b.batches).toHaveLength(1);
  });

  it('gives up after the configured retries', async () => {
    const b = slowBackend(1);
    const busy = new StorageError('busy', { transient: true });
    const w = writer((r) => b.writeBatch(r), { retries: 2 });
    b.failWith(busy, busy, busy, busy);
    await expect(w.enqueue([prepare(1)])).rejects.toBe(busy);
    expect(b.batches).toHaveLength(3);
  });

  it('drops the rest of a split group once part of it failed', async () => {
    const b = slowBackend(1);
    const w = writer((r) => b.writeBatch(r), { maxBatchSize: 5, retries: 0 });
    b.failWith(new Error('boom'));
    await expect(w.enqueue(Array.from({ length: 12 }, (_, i) => prepare(i)))).rejects.toMatchObject(
      {
        code: 'HISTORY_STORAGE',
      },
    );
    await w.flush();
    expect(b.batches).toHaveLength(1);
    expect(w.pending).toBe(0);
  });

  it('fails only the groups touching the session a backend names as broken, and writes the rest', async () => {
    const backend = new MemoryBackend();
    const batches: string[][] = [];
    const broken = new Error('session file of "bad" is corrupt');
    const w = writer(
      async (records) => {
        batches.push(records.map((r) => r.id));
        // Like a backend whose session file cannot be loaded: nothing of the batch is written.
        if (records.some((r) => r.sessionId === 'bad')) throw broken;
        return backend.writeBatch(records);
      },
      { retries: 3, failedSession: (e) => (e === broken ? 'bad' : undefined) },
    );
    const outcomes = await Promise.allSettled([
      w.enqueue([prepare(1, 'a')]),
      w.enqueue([prepare(2, 'bad')]),
      w.enqueue([prepare(3, 'b'), prepare(4, 'bad')]),
      w.enqueue([prepare(5, 'c'), prepare(6, 'a')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    for (const o of [outcomes[1], outcomes[2]] as PromiseRejectedResult[]) {
      expect(o.reason).toMatchObject({ code: 'HISTORY_STORAGE', cause: broken });
    }
    expect((outcomes[3] as PromiseFulfilledResult<AppendResult[]>).value.map((r) => r.seq)).toEqual(
      [1, 2],
    );
    // One failed attempt (not retried: not transient), then the healthy groups alone, once.
    expect(batches).toEqual([
      ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'],
      ['e1', 'e5', 'e6'],
    ]);
    // The mixed group failed as a whole: its healthy session's record was not stored.
    const stored = async (s: string) => {
      const ids: string[] = [];
      for await (const page of backend.readPages(s, { direction: 'forward' })) {
        ids.push(...page.map((r) => r.id));
      }
      return ids;
    };
    expect(await stored('b')).toEqual([]);
    expect(await stored('a')).toEqual(['e1', 'e6']);
    await w.flush();
    expect(w.pending).toBe(0);
  });

  it('fails the whole batch when the broken session is all it holds, without writing again', async () => {
    const broken = new Error('broken');
    let calls = 0;
    const w = writer(
      async () => {
        calls++;
        throw broken;
      },
      { failedSession: () => 'bad' },
    );
    const outcomes = await Promise.allSettled([
      w.enqueue([prepare(1, 'bad')]),
      w.enqueue([prepare(2, 'bad')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
  });

  it('holds pending events within maxQueuedEvents while producers outpace the backend', async () => {
    const b = slowBackend(2);
    const w = writer((r) => b.writeBatch(r), { maxQueuedEvents: 40, maxBatchSize: 10 });
    let maxPending = 0;
    // 40 queued and 40 waiting for room: as many as may wait (see the next test).
    const all = Array.from({ length: 80 }, (_, i) => {
      const p = w.enqueue([prepare(i)]);
      maxPending = Math.max(maxPending, w.pending);
      return p;
    });
    const sampler = setInterval(() => {
      maxPending = Math.max(maxPending, w.pending);
    }, 1);
    await Promise.all(all);
    clearInterval(sampler);
    // Callers wait outside the queue: what is queued or in flight stays bounded.
    const queuedOrWriting = b.batches.map((x) => x.length);
    expect(Math.max(...queuedOrWriting)).toBeLessThanOrEqual(10);
    expect(b.batches.flat()).toHaveLength(80);
    expect(maxPending).toBeLessThanOrEqual(80);
  });

  it('rejects appends beyond a queue of waiting ones, so callers that never await stay bounded', async () => {
    const b = slowBackend(2);
    const w = writer((r) => b.writeBatch(r), { maxQueuedEvents: 10, maxBatchSize: 5 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => w.enqueue([prepare(i)])),
    );
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(20);
    expect(rejected).toHaveLength(80);
    for (const r of rejected) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'HISTORY_BACKPRESSURE' });
    }
    // The first 20 (10 queued, 10 waiting) were written; the refused ones never reached it.
    expect(b.batches.flat()).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
    await expect(w.enqueue([prepare(500)])).resolves.toMatchObject([{ seq: 21 }]);
  });

  it('bounds queued bytes: waiting callers are not yet in the queue', async () => {
    const b = slowBackend(2);
    const depths: number[] = [];
    const w = writer((r) => b.writeBatch(r), {
      maxQueuedBytes: 2000,
      maxBatchSize: 5,
      onMetrics: (m) => depths.push(m.queuedBytes),
    });
    // 20 producers, each awaiting its appends: far more bytes than fit, none refused.
    await Promise.all(
      Array.from({ length: 20 }, async (_, p) => {
        for (let k = 0; k < 10; k++) await w.enqueue([prepare(p * 10 + k)]);
      }),
    );
    expect(b.batches.flat()).toHaveLength(200);
    expect(Math.max(...depths)).toBeLessThanOrEqual(2000);
  });

  it("rejects with HISTORY_BACKPRESSURE instead of waiting under backpressure: 'reject'", async () => {
    const b = slowBackend(2);
    const w = writer((r) => b.writeBatch(r), { maxQueuedEvents: 5, backpressure: 'reject' });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => w.enqueue([prepare(i)])),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(5);
    expect(
      outcomes
        .filter((o) => o.status === 'rejected')
        .every((o) => (o as PromiseRejectedResult).reason.code === 'HISTORY_BACKPRESSURE'),
    ).toBe(true);
  });

  it('admits an oversized request alone rather than waiting forever', async () => {
    const b = slowBackend(1);
    const w = writer((r) => b.writeBatch(r), { maxQueuedEvents: 5, maxBatchSize: 100 });
    const results = await w.enqueue(Array.from({ length: 50 }, (_, i) => prepare(i)));
    expect(results).toHaveLength(50);
  });

  it('flush() waits for appends still waiting for room', async () => {
    const b = slowBackend(2);
    const w = writer((r) => b.writeBatch(r), { maxQueuedEvents: 3 });
    let settled = 0;
    // 3 queued, 3 waiting for room.
    const all = Array.from({ length: 6 }, (_, i) =>
      w.enqueue([prepare(i)]).finally(() => settled++),
    );
    await w.flush();
    expect(settled).toBe(6);
    await Promise.all(all);
  });

  it('marks later copies of an id within one batch as duplicates of the first', async () => {
    const b = slowBackend(1);
    const w = writer((r) => b.writeBatch(r));
    const [x, y] = await Promise.all([
      w.enqueue([prepare(1), prepare(1)]),
      w.enqueue([prepare(1)]),
    ]);
    expect(x.map((r) => r.duplicate)).toEqual([false, true]);
    expect(y[0]).toMatchObject({ seq: 1, duplicate: true });
    expect(b.batches[0]).toEqual(['e1']);
  });

  it('rejects a backend that returns the wrong number of results', async () => {
    const w = writer(async () => []);
    await expect(w.enqueue([prepare(1)])).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
  });

  it('publishes metrics on diagnostics_channel and survives a throwing onMetrics hook', async () => {
    const b = slowBackend(1);
    const seen: unknown[] = [];
    const listener = (m: unknown) => seen.push(m);
    subscribe(BATCH_CHANNEL, listener);
    try {
      const w = writer((r) => b.writeBatch(r), {
        onMetrics: () => {
          throw new Error('bad hook');
        },
      });
      await Promise.all(Array.from({ length: 10 }, (_, i) => w.enqueue([prepare(i)])));
    } finally {
      unsubscribe(BATCH_CHANNEL, listener);
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toMatchObject({ store: 'test', ok: true, attempts: 1 });
    expect((seen as Array<{ batchSize: number }>).reduce((n, m) => n + m.batchSize, 0)).toBe(10);
  });

  it('accepts appends again after a backpressure episode, even when idle', async () => {
    const b = slowBackend(1);
    const w = writer((r) => b.writeBatch(r), { maxQueuedEvents: 3 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => w.enqueue([prepare(i)])));
    await sleep(5);
    const [late] = await w.enqueue([prepare(100)]);
    expect(late).toMatchObject({ seq: 7, duplicate: false });
  });

  it('writes several batches at once without two sharing a session, keeping session order', async () => {
    const b = slowBackend(3);
    const inFlight = new Set<readonly PreparedEnvelope[]>();
    let maxInFlight = 0;
    let overlap = false;
    const w = writer(
      async (records) => {
        const mine = new Set(records.map((r) => r.sessionId));
        for (const other of inFlight) {
          if (other.some((r) => mine.has(r.sessionId))) overlap = true;
        }
        inFlight.add(records);
        maxInFlight = Math.max(maxInFlight, inFlight.size);
        try {
          return await b.writeBatch(records);
        } finally {
          inFlight.delete(records);
        }
      },
      { maxConcurrentBatches: 4, maxBatchSize: 4 },
    );
    // 16 producers on 8 sessions, each awaiting its own appends one after another.
    const perProducer = await Promise.all(
      Array.from({ length: 16 }, async (_, p) => {
        const seqs: number[] = [];
        for (let k = 0; k < 15; k++) {
          const [r] = await w.enqueue([prepare(p * 100 + k, `s${p % 8}`)]);
          seqs.push(r!.seq);
        }
        return seqs;
      }),
    );
    expect(overlap).toBe(false);
    expect(maxInFlight).toBeGreaterThan(1);
    for (const seqs of perProducer) {
      for (let k = 1; k < seqs.length; k++) expect(seqs[k]!).toBeGreaterThan(seqs[k - 1]!);
    }
    for (let s = 0; s < 8; s++) {
      const stored: number[] = [];
      for await (const page of b.backend.readPages(`s${s}`, { direction: 'forward' })) {
        stored.push(...page.map((r) => r.seq));
      }
      expect(stored).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    }
  });

  it('never lets a later group overtake an earlier one of the same session', async () => {
    const b = slowBackend(2);
    const w = writer((r) => b.writeBatch(r), { maxConcurrentBatches: 3, maxBatchSize: 4 });
    // A mixed-session group blocks both its sessions until it is written.
    const first = w.enqueue([prepare(1, 'a')]);
    const mixed = w.enqueue([prepare(2, 'a'), prepare(3, 'b')]);
    const laterB = w.enqueue([prepare(4, 'b')]);
    const other = w.enqueue([prepare(5, 'c')]);
    await Promise.all([first, mixed, laterB, other]);
    const order = b.batches.flat();
    expect(order.indexOf('e2')).toBeLessThan(order.indexOf('e4'));
    expect(order.indexOf('e1')).toBeLessThan(order.indexOf('e2'));
    expect((await laterB)[0]!.seq).toBe(2);
  });

  it('lets the event loop turn between batches even when the backend never does I/O', async () => {
    const backend = new MemoryBackend();
    let ticks = 0;
    let ticking = true;
    const tick = () => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    let batchesWritten = 0;
    const counting = writer(async (r) => {
      batchesWritten++;
      return backend.writeBatch(r);
    });
    await Promise.all(
      Array.from({ length: 16 }, async (_, p) => {
        for (let k = 0; k < 100; k++) await counting.enqueue([prepare(p * 1000 + k, `s${p}`)]);
      }),
    );
    ticking = false;
    expect(batchesWritten).toBeGreaterThan(50);
    // Every batch after the first starts from a macrotask, so the ticker ran throughout.
    expect(ticks).toBeGreaterThanOrEqual(batchesWritten - 1);
  });
});
