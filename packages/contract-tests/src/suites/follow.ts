import type { HistoryRecord } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { envelope, envelopes, type Harness } from '../harness.js';

/**
 * Reads a following stream into `seen` until `until(seen)` holds, then aborts it; resolves
 * with what the loop saw once it has ended (cleanly, or with the stream's error).
 */
async function follow(
  iterable: (signal: AbortSignal) => AsyncIterable<HistoryRecord>,
  until: (seen: HistoryRecord[]) => boolean,
  onRecord?: (seen: HistoryRecord[]) => void,
): Promise<HistoryRecord[]> {
  const controller = new AbortController();
  const seen: HistoryRecord[] = [];
  if (until(seen)) controller.abort();
  for await (const record of iterable(controller.signal)) {
    seen.push(record);
    onRecord?.(seen);
    if (until(seen)) controller.abort();
  }
  return seen;
}

const seqsOf = (records: HistoryRecord[]) => records.map((r) => r.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => from + k);

/** `stream(..., { follow: true })`: catch-up, then live events, each once, in seq order. */
export function followSuite(subject: ContractSubject, h: Harness): void {
  describe('follow', () => {
    it('a follower started before a burst sees each event once, in order', async () => {
      const store = await h.open();
      const following = follow(
        (signal) => store.stream('s1', { follow: true, signal }),
        (seen) => seen.length === 300,
      );
      // Single appends and batches, the follower waiting between them.
      for (let i = 1; i <= 100; i++) await store.append(envelope(i));
      await store.appendMany(envelopes(200, {}, 101));
      const seen = await following;
      expect(seqsOf(seen)).toEqual(range(1, 300));
      expect(seen.map((r) => r.id)).toEqual(range(1, 300).map((i) => `evt-${i}`));
    });

    it('a follower started during a burst crosses from catch-up to live with no gap and no repeat', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(150));
      let appended = 150;
      // Appends go on while the follower reads: each record it takes lets one more through.
      const writes: Promise<unknown>[] = [];
      const seen = await follow(
        (signal) => store.stream('s1', { follow: true, signal }),
        (records) => records.length === 400,
        () => {
          if (appended < 400) writes.push(store.append(envelope(++appended)));
        },
      );
      await Promise.all(writes);
      expect(seqsOf(seen)).toEqual(range(1, 400));
    });

    it('a follower started after the appends catches up, resumes from `after`, and stops at `limit`', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(50));
      // 41..50 stored, then 51..55 appended while it waits.
      const resumed = follow(
        (signal) => store.stream('s1', { follow: true, signal, after: 40 }),
        (seen) => seen.length === 15,
      );
      const limited = (async () => {
        const out: HistoryRecord[] = [];
        for await (const r of store.stream('s1', { follow: true, after: 45, limit: 12 })) {
          out.push(r);
        }
        return out;
      })();
      await store.appendMany(envelopes(10, {}, 51));
      expect(seqsOf(await resumed)).toEqual(range(41, 55));
      expect(seqsOf(await limited)).toEqual(range(46, 57));
    });

    it('follows only its session and skips duplicates', async () => {
      const store = await h.open();
      const following = follow(
        (signal) => store.stream('s2', { follow: true, signal }),
        (seen) => seen.length === 3,
      );
      await store.append(envelope(1));
      await store.append(envelope(2, { sessionId: 's2' }));
      await store.append(envelope(2, { sessionId: 's2' }));
      await store.appendMany([envelope(3), envelope(4, { sessionId: 's2' })]);
      await store.append(envelope(5, { sessionId: 's2' }));
      const seen = await following;
      expect(seen.map((r) => [r.sessionId, r.seq, r.id])).toEqual([
        ['s2', 1, 'evt-2'],
        ['s2', 2, 'evt-4'],
        ['s2', 3, 'evt-5'],
      ]);
    });

    it('ends cleanly when the signal aborts while it waits, and at once when aborted before', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(3));
      const controller = new AbortController();
      const seen: number[] = [];
      const reading = (async () => {
        for await (const r of store.stream('s1', { follow: true, signal: controller.signal })) {
          seen.push(r.seq);
          // Caught up: abort while the stream waits for more.
          if (r.seq === 3) setTimeout(() => controller.abort(), 20);
        }
      })();
      await reading;
      expect(seen).toEqual([1, 2, 3]);
      // An aborted signal ends the stream before it yields anything, follow or not.
      const none: number[] = [];
      for await (const r of store.stream('s1', { follow: true, signal: controller.signal })) {
        none.push(r.seq);
      }
      for await (const r of store.stream('s1', { signal: controller.signal })) none.push(r.seq);
      expect(none).toEqual([]);
      // The store is unaffected.
      await store.append(envelope(4));
      expect((await store.getSession('s1'))?.lastSeq).toBe(4);
    });

    it('a signal without follow stops a replay where it is aborted', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(500));
      const controller = new AbortController();
      const seen: number[] = [];
      for await (const r of store.stream('s1', { signal: controller.signal })) {
        seen.push(r.seq);
        if (r.seq === 120) controller.abort();
      }
      expect(seen).toEqual(range(1, 120));
    });

    it('close() ends a follower with HISTORY_CLOSED', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(2));
      const seen: number[] = [];
      let closing: Promise<void> | undefined;
      const reading = (async () => {
        for await (const r of store.stream('s1', { follow: true })) {
          seen.push(r.seq);
          // Caught up: close while the follower reads again or waits, whichever it is doing.
          if (r.seq === 2) closing = h.close(store);
        }
      })();
      await expect(reading).rejects.toMatchObject({ code: 'HISTORY_CLOSED' });
      await closing;
      expect(seen).toEqual([1, 2]);
    });

    it('breaking out of the loop releases the follower', async () => {
      const store = await h.open();
      await store.appendMany(envelopes(5));
      for (let round = 0; round < 20; round++) {
        for await (const r of store.stream('s1', { follow: true })) {
          if (r.seq === 5) break;
        }
      }
      await store.append(envelope(6));
      // A follower left waiting would keep close() from settling, or the process alive.
      await h.close(store);
    });

    it('refuses bad follow options with InvalidArgumentError naming the field', () => {
      return (async () => {
        const store = await h.open();
        const cases: Array<[unknown, string]> = [
          [{ follow: 'yes' }, 'range.follow'],
          [{ follow: 1 }, 'range.follow'],
          [{ follow: true, direction: 'backward' }, 'range.follow'],
          [{ signal: {} }, 'range.signal'],
          [{ signal: 'abort' }, 'range.signal'],
        ];
        for (const [options, field] of cases) {
          expect(() => store.stream('s1', options as never)).toThrowError(
            expect.objectContaining({ code: 'HISTORY_INVALID_ARGUMENT', field }),
          );
        }
      })();
    });

    if (subject.capabilities.sharedStorage) {
      it('sees events another store on the same storage commits', async () => {
        const writer = await h.open();
        const reader = await h.openFollower({ followPollMs: 10 });
        const following = follow(
          (signal) => reader.stream('s1', { follow: true, signal }),
          (seen) => seen.length === 60,
        );
        for (let i = 1; i <= 50; i++) await writer.append(envelope(i));
        await writer.appendMany(envelopes(10, {}, 51));
        expect(seqsOf(await following)).toEqual(range(1, 60));
      });
    }
  });
}
