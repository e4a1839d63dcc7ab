import type { FeedEntry, FeedOptions, HistoryStore } from '@history/core';
import { describe, expect, it } from 'vitest';
import type { ContractSubject } from '../contract-subject.js';
import { envelope, envelopes, type Harness, toArray } from '../harness.js';

/** Reads a following feed into `seen` until `until(seen)` holds, then aborts it. */
async function followFeed(
  store: HistoryStore,
  options: FeedOptions,
  until: (seen: FeedEntry[]) => boolean,
  onEntry?: (seen: FeedEntry[]) => void,
): Promise<FeedEntry[]> {
  const controller = new AbortController();
  const seen: FeedEntry[] = [];
  if (until(seen)) controller.abort();
  for await (const entry of store.feed({ ...options, follow: true, signal: controller.signal })) {
    seen.push(entry);
    onEntry?.(seen);
    if (until(seen)) controller.abort();
  }
  return seen;
}

/** `session/seq/id` of each entry: what the feed delivered, in order. */
const keysOf = (entries: FeedEntry[]) =>
  entries.map((e) => `${e.record.sessionId}/${e.record.seq}/${e.record.id}`);

/** Each session's seqs, in the order the feed delivered them. */
function seqsBySession(entries: FeedEntry[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const { record } of entries) {
    const seqs = out.get(record.sessionId) ?? [];
    seqs.push(record.seq);
    out.set(record.sessionId, seqs);
  }
  return out;
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => from + k);

/** Appends one event at a time, each awaited: the commit order is the loop's order. */
async function appendInTurns(store: HistoryStore, count: number, sessions: number, start = 1) {
  const keys: string[] = [];
  for (let i = start; i < start + count; i++) {
    const sessionId = `s${i % sessions}`;
    const result = await store.append(envelope(i, { sessionId }));
    keys.push(`${sessionId}/${result.seq}/evt-${i}`);
  }
  return keys;
}

/** `feed()`: every session's events in commit order, resumable from any position, followable. */
export function feedSuite(subject: ContractSubject, h: Harness): void {
  describe('feed', () => {
    it('yields nothing from an empty store', async () => {
      const store = await h.open();
      expect(await toArray(store.feed())).toEqual([]);
      expect(await toArray(store.feed({ limit: 10 }))).toEqual([]);
    });

    it('yields every event of every session in commit order, records as stream yields them', async () => {
      const store = await h.open();
      const keys = await appendInTurns(store, 30, 3);
      // One batch of one session, then a single append to another.
      const batch = await store.appendMany(envelopes(5, { sessionId: 'b' }, 100));
      keys.push(...batch.map((r) => `b/${r.seq}/${r.id}`));
      keys.push(...(await appendInTurns(store, 1, 3, 200)));
      const entries = await toArray(store.feed());
      expect(keysOf(entries)).toEqual(keys);
      const streamed = await toArray(store.stream('b'));
      expect(entries.filter((e) => e.record.sessionId === 'b').map((e) => e.record)).toEqual(
        streamed,
      );
      for (const { position } of entries) expect(typeof position).toBe('string');
      expect(new Set(entries.map((e) => e.position)).size).toBe(entries.length);
    });

    it('resumes after any position with exactly the entries after it', async () => {
      const store = await h.open();
      await appendInTurns(store, 20, 4);
      await store.appendMany([
        envelope(50, { sessionId: 's1' }),
        envelope(51, { sessionId: 's2' }),
        envelope(52, { sessionId: 's1' }),
      ]);
      await appendInTurns(store, 5, 4, 60);
      const all = await toArray(store.feed());
      expect(all).toHaveLength(28);
      for (let k = 0; k < all.length; k++) {
        const rest = await toArray(store.feed({ after: all[k]!.position }));
        expect(rest).toEqual(all.slice(k + 1));
      }
    });

    it('keeps each session in seq order and delivers every event once under concurrent appends', async () => {
      const store = await h.open();
      const writes: Promise<unknown>[] = [];
      for (let i = 1; i <= 600; i++) {
        writes.push(store.append(envelope(i, { sessionId: `c${i % 12}` })));
        if (i % 50 === 0) {
          writes.push(store.appendMany(envelopes(40, { sessionId: `m${i}` }, 1000 + i * 100)));
        }
      }
      await Promise.all(writes);
      const entries = await toArray(store.feed());
      expect(entries).toHaveLength(600 + 12 * 40);
      expect(new Set(keysOf(entries)).size).toBe(entries.length);
      for (const [sessionId, seqs] of seqsBySession(entries)) {
        const expected = sessionId.startsWith('m') ? range(1, 40) : range(1, 50);
        expect(seqs, sessionId).toEqual(expected);
      }
    });

    it('pages through thousands of events and stops at `limit`', async () => {
      const store = await h.open();
      for (let b = 0; b < 5; b++) {
        await store.appendMany(envelopes(500, { sessionId: `p${b}` }, 1 + b * 500));
      }
      const entries = await toArray(store.feed());
      expect(entries).toHaveLength(2500);
      expect(entries.map((e) => e.record.id)).toEqual(range(1, 2500).map((i) => `evt-${i}`));
      const first = await toArray(store.feed({ limit: 1200 }));
      expect(first).toEqual(entries.slice(0, 1200));
      const next = await toArray(store.feed({ after: first[1199]!.position, limit: 3 }));
      expect(next).toEqual(entries.slice(1200, 1203));
      expect(await toArray(store.feed({ limit: 0 }))).toEqual([]);
    });

    it('never yields expired events or the events of a deleted session', async () => {
      const store = await h.open();
      await store.appendMany([
        envelope(1, { sessionId: 'keep' }),
        // Occurred in 2025 with a one-second ttl: expired long ago.
        envelope(2, { sessionId: 'keep', ttlMs: 1000 }),
        envelope(3, { sessionId: 'keep' }),
      ]);
      await store.appendMany(envelopes(3, { sessionId: 'gone' }, 10));
      await store.append(envelope(4, { sessionId: 'keep' }));
      const before = await toArray(store.feed());
      expect(keysOf(before)).toEqual([
        'keep/1/evt-1',
        'keep/3/evt-3',
        'gone/1/evt-10',
        'gone/2/evt-11',
        'gone/3/evt-12',
        'keep/4/evt-4',
      ]);
      await store.deleteSession('gone');
      expect(keysOf(await toArray(store.feed()))).toEqual([
        'keep/1/evt-1',
        'keep/3/evt-3',
        'keep/4/evt-4',
      ]);
      // A position of an erased event still resumes where it was.
      const rest = await toArray(store.feed({ after: before[3]!.position }));
      expect(keysOf(rest)).toEqual(['keep/4/evt-4']);
      // Appended again after the delete: the new life comes later in the feed.
      await store.append(envelope(20, { sessionId: 'gone' }));
      expect(keysOf(await toArray(store.feed({ after: before[5]!.position })))).toEqual([
        'gone/4/evt-20',
      ]);
    });

    it('a consumer stores its position in a checkpoint and resumes from it', async () => {
      const store = await h.open();
      await appendInTurns(store, 10, 2);
      let handled = 0;
      for await (const entry of store.feed({ limit: 6 })) {
        handled++;
        await store.checkpoint('consumer-audit', { position: entry.position });
      }
      expect(handled).toBe(6);
      await appendInTurns(store, 4, 2, 11);
      const saved = await store.getCheckpoint('consumer-audit');
      const { position } = (saved?.payload ?? {}) as { position?: string };
      expect(typeof position).toBe('string');
      const rest = await toArray(store.feed({ after: position }));
      expect(rest.map((e) => e.record.id)).toEqual(range(7, 14).map((i) => `evt-${i}`));
      // The consumer's checkpoint is not a session.
      expect(await store.getSession('consumer-audit')).toBeNull();
      const listed = await toArray(store.listSessions());
      expect(listed.map((s) => s.sessionId)).toEqual(['s0', 's1']);
    });

    it('a follower started before a burst sees each event once, in commit order', async () => {
      const store = await h.open();
      const following = followFeed(store, {}, (seen) => seen.length === 260);
      const keys = await appendInTurns(store, 60, 5);
      const batch = await store.appendMany(envelopes(200, { sessionId: 'big' }, 1000));
      keys.push(...batch.map((r) => `big/${r.seq}/${r.id}`));
      expect(keysOf(await following)).toEqual(keys);
    });

    it('a follower started during a burst crosses from catch-up to live with no gap and no repeat', async () => {
      const store = await h.open();
      await appendInTurns(store, 100, 4);
      let appended = 100;
      const writes: Promise<unknown>[] = [];
      const seen = await followFeed(
        store,
        {},
        (entries) => entries.length === 300,
        () => {
          if (appended < 300) {
            appended++;
            writes.push(store.append(envelope(appended, { sessionId: `s${appended % 4}` })));
          }
        },
      );
      await Promise.all(writes);
      expect(seen.map((e) => e.record.id).sort()).toEqual(
        range(1, 300)
          .map((i) => `evt-${i}`)
          .sort(),
      );
      expect(await toArray(store.feed())).toEqual(seen);
      for (const [sessionId, seqs] of seqsBySession(seen)) {
        expect(seqs, sessionId).toEqual(range(1, 75));
      }
    });

    it('a follower resumed from a position waits for what comes after it, and stops at `limit`', async () => {
      const store = await h.open();
      await appendInTurns(store, 10, 2);
      const all = await toArray(store.feed());
      const resumed = followFeed(store, { after: all[7]!.position }, (seen) => seen.length === 5);
      const limited = toArray(store.feed({ follow: true, after: all[8]!.position, limit: 4 }));
      await appendInTurns(store, 5, 2, 11);
      expect((await resumed).map((e) => e.record.id)).toEqual(
        [9, 10, 11, 12, 13].map((i) => `evt-${i}`),
      );
      expect((await limited).map((e) => e.record.id)).toEqual(
        [10, 11, 12, 13].map((i) => `evt-${i}`),
      );
    });

    it('ends cleanly when the signal aborts, and with HISTORY_CLOSED when the store closes', async () => {
      const store = await h.open();
      await appendInTurns(store, 3, 2);
      const controller = new AbortController();
      const seen: string[] = [];
      for await (const e of store.feed({ follow: true, signal: controller.signal })) {
        seen.push(e.record.id);
        // Caught up: abort while the feed waits for more.
        if (seen.length === 3) setTimeout(() => controller.abort(), 20);
      }
      expect(seen).toEqual(['evt-1', 'evt-2', 'evt-3']);
      expect(await toArray(store.feed({ signal: controller.signal }))).toEqual([]);
      // Breaking out releases the follower: close() below would not settle otherwise.
      for (let round = 0; round < 10; round++) {
        for await (const _ of store.feed({ follow: true })) break;
      }
      let closing: Promise<void> | undefined;
      const reading = (async () => {
        let n = 0;
        for await (const _ of store.feed({ follow: true })) {
          if (++n === 3) closing = h.close(store);
        }
      })();
      await expect(reading).rejects.toMatchObject({ code: 'HISTORY_CLOSED' });
      await closing;
      expect(() => store.feed()).toThrowError(expect.objectContaining({ code: 'HISTORY_CLOSED' }));
    });

    it('refuses bad feed options with InvalidArgumentError naming the field', async () => {
      const store = await h.open();
      const cases: Array<[unknown, string]> = [
        ['all', 'options'],
        [{ after: 5 }, 'options.after'],
        [{ after: '' }, 'options.after'],
        [{ after: 'no such position' }, 'options.after'],
        [{ after: 'x'.repeat(300) }, 'options.after'],
        [{ limit: -1 }, 'options.limit'],
        [{ limit: 1.5 }, 'options.limit'],
        [{ follow: 'yes' }, 'options.follow'],
        [{ signal: {} }, 'options.signal'],
        [{ from: '2025-01-01T00:00:00Z' }, 'options.from'],
      ];
      for (const [options, field] of cases) {
        expect(() => store.feed(options as never), field).toThrowError(
          expect.objectContaining({ code: 'HISTORY_INVALID_ARGUMENT', field }),
        );
      }
      // Nothing else is lost: the store still works.
      await store.append(envelope(1));
      expect(await toArray(store.feed())).toHaveLength(1);
    });

    if (subject.capabilities.sharedStorage) {
      it('a follower sees what another store on the same storage commits, in commit order', async () => {
        const writer = await h.open();
        const reader = await h.openFollower({ followPollMs: 10 });
        const following = followFeed(reader, {}, (seen) => seen.length === 40);
        const keys = await appendInTurns(writer, 30, 3);
        const batch = await writer.appendMany(envelopes(10, { sessionId: 'w' }, 100));
        keys.push(...batch.map((r) => `w/${r.seq}/${r.id}`));
        expect(keysOf(await following)).toEqual(keys);
      });
    }
  });
}
