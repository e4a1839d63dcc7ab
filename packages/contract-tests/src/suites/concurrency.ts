import type { AppendResult, BatchMetrics } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { collect, envelope, envelopes, type Harness, ids } from '../harness.js';

/** Many concurrent callers: nothing lost, nothing duplicated, order kept. */
export function concurrencySuite(subject: ContractSubject, h: Harness): void {
  const timeout = subject.slowTestTimeoutMs ?? 60_000;

  async function producers(
    count: number,
    perProducer: number,
    append: (producer: number, k: number) => Promise<AppendResult>,
  ): Promise<AppendResult[][]> {
    return Promise.all(
      Array.from({ length: count }, async (_, p) => {
        const mine: AppendResult[] = [];
        for (let k = 0; k < perProducer; k++) mine.push(await append(p, k));
        return mine;
      }),
    );
  }

  describe('concurrency', () => {
    it(
      'loses and duplicates nothing across 10,000 appends from 64 concurrent callers',
      async () => {
        const store = await h.open();
        const results = await producers(64, 157, (p, k) =>
          store.append(envelope(p * 1000 + k, { id: `p${p}-${k}` })),
        );
        const total = 64 * 157;
        expect(total).toBeGreaterThanOrEqual(10_000);
        const records = await collect(() => store.stream('s1'));
        expect(records).toHaveLength(total);
        expect(new Set(records.map((r) => r.id)).size).toBe(total);
        for (let i = 1; i < records.length; i++) {
          expect(records[i]!.seq).toBeGreaterThan(records[i - 1]!.seq);
        }
        // Each caller's appends were ordered, so their seqs increase too.
        for (const mine of results) {
          for (let k = 1; k < mine.length; k++)
            expect(mine[k]!.seq).toBeGreaterThan(mine[k - 1]!.seq);
        }
        const bySeq = new Map(records.map((r) => [r.seq, r.id]));
        for (const r of results.flat()) expect(bySeq.get(r.seq)).toBe(r.id);
      },
      timeout,
    );

    it(
      'keeps sessions apart under concurrent load',
      async () => {
        const store = await h.open();
        await producers(32, 40, (p, k) =>
          store.append(envelope(k, { id: `p${p}-${k}`, sessionId: `session-${p % 8}` })),
        );
        for (let s = 0; s < 8; s++) {
          const records = await collect(() => store.stream(`session-${s}`));
          expect(records).toHaveLength(160);
          expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
        }
      },
      timeout,
    );

    it(
      'stores each id once when concurrent callers race to append it',
      async () => {
        const store = await h.open();
        const results = await producers(64, 20, (p, k) =>
          store.append(envelope(k, { id: `shared-${(k + p) % 100}`, payload: { p } })),
        );
        const records = await collect(() => store.stream('s1'));
        expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
        const seqById = new Map(records.map((r) => [r.id, r.seq]));
        const fresh = new Map<string, number>();
        for (const r of results.flat()) {
          expect(r.seq).toBe(seqById.get(r.id));
          if (!r.duplicate) fresh.set(r.id, (fresh.get(r.id) ?? 0) + 1);
        }
        expect([...fresh.values()].every((n) => n === 1)).toBe(true);
        expect(fresh.size).toBe(records.length);
      },
      timeout,
    );

    it(
      'commits concurrent single appends in groups (batch size > 1)',
      async () => {
        const batches: BatchMetrics[] = [];
        const store = await h.open({
          onMetrics: (m) => {
            if (m.kind === 'batch') batches.push(m);
          },
        });
        await producers(64, 10, (p, k) => store.append(envelope(k, { id: `p${p}-${k}` })));
        expect(batches.reduce((n, b) => n + b.batchSize, 0)).toBe(640);
        expect(Math.max(...batches.map((b) => b.batchSize))).toBeGreaterThan(1);
        expect(batches.length).toBeLessThan(640);
        for (const b of batches) {
          expect(b.ok).toBe(true);
          expect(b.flushLatencyMs).toBeGreaterThanOrEqual(0);
          expect(b.eventsPerSecond).toBeGreaterThan(0);
          expect(typeof b.store === 'string' && b.store.length > 0).toBe(true);
        }
      },
      timeout,
    );

    it(
      'keeps an appendMany contiguous while single appends race with it',
      async () => {
        const store = await h.open();
        const singles = Array.from({ length: 100 }, (_, k) => store.append(envelope(10_000 + k)));
        const many = store.appendMany(envelopes(50));
        const more = Array.from({ length: 100 }, (_, k) => store.append(envelope(20_000 + k)));
        const results = await many;
        await Promise.all([...singles, ...more]);
        const seqs = results.map((r) => r.seq);
        expect(seqs.at(-1)! - seqs[0]!).toBe(49);
        expect((await collect(() => store.stream('s1'))).length).toBe(250);
      },
      timeout,
    );

    it(
      'holds the queue within maxQueuedEvents when callers outpace the backend',
      async () => {
        const depths: number[] = [];
        const store = await h.open({
          maxQueuedEvents: 50,
          maxBatchSize: 20,
          onMetrics: (m) => {
            if (m.kind === 'batch') depths.push(m.queueDepth);
          },
        });
        // 100 callers, each awaiting its appends: twice what fits, none refused.
        const results = await producers(100, 10, (p, k) =>
          store.append(envelope(p * 10 + k + 1, { id: `p${p}-${k}` })),
        );
        expect(results.flat()).toHaveLength(1000);
        const seqs = (await collect(() => store.stream('s1'))).map((r) => r.seq);
        expect(seqs).toEqual(Array.from({ length: 1000 }, (_, k) => k + 1));
        expect(Math.max(...depths)).toBeLessThanOrEqual(50);
      },
      timeout,
    );

    it(
      "bounds what waits under backpressure: 'wait': beyond a queue's worth of waiting appends, HISTORY_BACKPRESSURE",
      async () => {
        const store = await h.open({ maxQueuedEvents: 50, maxBatchSize: 20 });
        // Issued in one go, never awaited: 50 fill the queue, 50 wait for room, the rest are refused.
        const outcomes = await Promise.allSettled(
          Array.from({ length: 1000 }, (_, k) => store.append(envelope(k + 1))),
        );
        const accepted = outcomes.filter((o) => o.status === 'fulfilled');
        expect(accepted).toHaveLength(100);
        for (const o of outcomes.slice(100)) {
          expect((o as PromiseRejectedResult).reason).toMatchObject({
            code: 'HISTORY_BACKPRESSURE',
          });
        }
        expect(await ids(() => store.stream('s1'))).toEqual(
          Array.from({ length: 100 }, (_, k) => `evt-${k + 1}`),
        );
        await expect(store.append(envelope(5000))).resolves.toMatchObject({ seq: 101 });
      },
      timeout,
    );

    it(
      "rejects with HISTORY_BACKPRESSURE under backpressure: 'reject' and stores the rest",
      async () => {
        const store = await h.open({
          maxQueuedEvents: 10,
          maxBatchSize: 5,
          backpressure: 'reject',
        });
        const outcomes = await Promise.allSettled(
          Array.from({ length: 300 }, (_, k) => store.append(envelope(k + 1))),
        );
        const rejected = outcomes.filter((o) => o.status === 'rejected');
        expect(rejected.length).toBeGreaterThan(0);
        for (const r of rejected) {
          expect((r as PromiseRejectedResult).reason).toMatchObject({
            code: 'HISTORY_BACKPRESSURE',
          });
        }
        const accepted = outcomes.filter((o) => o.status === 'fulfilled').length;
        expect(await collect(() => store.stream('s1'))).toHaveLength(accepted);
        await expect(store.append(envelope(1000))).resolves.toMatchObject({ duplicate: false });
      },
      timeout,
    );
  });
}
