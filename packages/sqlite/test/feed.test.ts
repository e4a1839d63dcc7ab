import type { FeedEntry, HistoryStore } from '@history/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { openBackend, prepared } from './backend-fixture.js';
import { tempDb } from './temp-db.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T0 = Date.UTC(2026, 0, 1);

const envelope = (sessionId: string, n: number) => ({
  id: `${sessionId}-${n}`,
  type: 'feed-test',
  sessionId,
  occurredAt: new Date(T0 + n * 1000).toISOString(),
  payload: { n },
});

async function feedKeys(store: HistoryStore, after?: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of store.feed(after === undefined ? {} : { after })) {
    keys.push(`${e.record.sessionId}/${e.record.seq}`);
  }
  return keys;
}

async function lastEntry(store: HistoryStore): Promise<FeedEntry> {
  let last: FeedEntry | undefined;
  for await (const e of store.feed()) last = e;
  return last!;
}

function openBackendHere() {
  const opened = openBackend();
  cleanups.push(opened.cleanup);
  return opened;
}

describe('feed on SQLite', () => {
  it('positions are rowids in canonical decimal form; isFeedPosition checks that form, no I/O', async () => {
    const { backend } = openBackendHere();
    await backend.writeBatch([prepared('a', 'a-1', T0), prepared('b', 'b-1', T0)]);
    const page = await backend.readFeed({ limit: 10 });
    expect(page.entries.map((e) => e.position)).toEqual(['1', '2']);
    for (const ok of ['0', '1', '42', '9007199254740991']) {
      expect(backend.isFeedPosition(ok), ok).toBe(true);
    }
    for (const bad of [
      '',
      '01',
      '-1',
      '+1',
      '1.0',
      '1e3',
      ' 1',
      '1 ',
      '0x10',
      '9007199254740992',
    ]) {
      expect(backend.isFeedPosition(bad), bad).toBe(false);
    }
  });

  it('keeps every position through VACUUM (rowids are an INTEGER PRIMARY KEY since 0005)', async () => {
    const db = tempDb();
    cleanups.push(db.cleanup);
    const first = await createSqliteHistoryStore({ filename: db.filename });
    for (let n = 1; n <= 30; n++) await first.append(envelope(`s${n % 3}`, n));
    // Rows removed from the start and the middle leave holes VACUUM would close up.
    await first.deleteSession('s1');
    const before: string[] = [];
    for await (const e of first.feed())
      before.push(`${e.position} ${e.record.sessionId}/${e.record.seq}`);
    await first.close();
    const raw = new Database(db.filename);
    raw.exec('VACUUM');
    raw.close();
    const second = await createSqliteHistoryStore({ filename: db.filename });
    cleanups.push(() => second.close());
    const after: string[] = [];
    for await (const e of second.feed())
      after.push(`${e.position} ${e.record.sessionId}/${e.record.seq}`);
    expect(before).toHaveLength(20);
    expect(after).toEqual(before);
  });

  it('never reuses the rowids of a deleted session that held the newest events', async () => {
    const db = tempDb();
    cleanups.push(db.cleanup);
    // Default mode: the delete runs on the writer thread's connection, the small appends
    // after it on the main thread's, so the high-water mark must hold across connections.
    const store = await createSqliteHistoryStore({ filename: db.filename });
    cleanups.push(() => store.close());
    await store.appendMany([1, 2, 3].map((n) => envelope('keep', n)));
    await store.appendMany([1, 2, 3, 4].map((n) => envelope('tail', n)));
    const consumer = await lastEntry(store);
    expect(consumer.record).toMatchObject({ sessionId: 'tail', seq: 4 });
    await store.deleteSession('tail');
    await store.append(envelope('new', 1));
    await store.append(envelope('tail', 5));
    expect(await feedKeys(store, consumer.position)).toEqual(['new/1', 'tail/5']);
    // Another connection (a second store on the file) deletes the tail again; this store's
    // next append must not reuse those rowids either, nor must a store opened later.
    const tail = await lastEntry(store);
    const other = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    expect(await other.deleteSession('tail')).toEqual({ deletedEvents: 1 });
    await other.close();
    await store.append(envelope('keep', 4));
    expect(await feedKeys(store, tail.position)).toEqual(['keep/4']);
    const keep4 = await lastEntry(store);
    await store.deleteSession('keep');
    await store.close();
    const reopened = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    cleanups.push(() => reopened.close());
    await reopened.append(envelope('later', 1));
    expect(await feedKeys(reopened, keep4.position)).toEqual(['later/1']);
    expect(await feedKeys(reopened)).toEqual(['new/1', 'later/1']);
  });

  it('never reuses the rowids of events a purge removed from the tail', async () => {
    const { backend, filename } = openBackendHere();
    const inAnHour = Date.now() + 3_600_000;
    await backend.writeBatch([prepared('keep', 'k-1', T0), prepared('keep', 'k-2', T0)]);
    // Not expired yet when read, expired for the purge below (its `now` is two hours ahead).
    await backend.writeBatch(['t-1', 't-2', 't-3'].map((id) => prepared('ttl', id, T0, inAnHour)));
    const before = await backend.readFeed({ limit: 100 });
    expect(before.entries.map((e) => e.id)).toEqual(['k-1', 'k-2', 't-1', 't-2', 't-3']);
    const consumer = before.entries.at(-1)!.position;
    const purged = await backend.purgeExpired({ now: inAnHour + 3_600_000, limit: 1000 });
    expect(purged.deletedEvents).toBe(3);
    const conn = new Database(filename, { readonly: true });
    expect(conn.prepare('SELECT high_water FROM feed_state').pluck().get()).toBe(Number(consumer));
    conn.close();
    await backend.writeBatch([prepared('new', 'n-1', T0), prepared('keep', 'k-3', T0)]);
    const after = await backend.readFeed({ after: consumer, limit: 100 });
    expect(after.entries.map((e) => e.id)).toEqual(['n-1', 'k-3']);
    for (const e of after.entries) expect(Number(e.position)).toBeGreaterThan(Number(consumer));
  });

  it('steps over expired rows a bounded page at a time, and says where the next page starts', async () => {
    const { backend } = openBackendHere();
    await backend.writeBatch([prepared('live', 'l-1', T0)]);
    for (let b = 0; b < 3; b++) {
      await backend.writeBatch(
        Array.from({ length: 1000 }, (_, i) => prepared('gone', `g-${b * 1000 + i}`, T0, T0 + 1)),
      );
    }
    await backend.writeBatch([prepared('live', 'l-2', T0)]);
    // One entry, then the page ends on skipped rows: at most limit + 1,000 rows looked at.
    const first = await backend.readFeed({ limit: 10 });
    expect(first.entries.map((e) => e.id)).toEqual(['l-1']);
    expect(first.position).toBe('1010');
    const second = await backend.readFeed({ after: first.position!, limit: 10 });
    expect(second).toEqual({ entries: [], position: '2020' });
    const third = await backend.readFeed({ after: '2020', limit: 2000 });
    expect(third.entries.map((e) => e.id)).toEqual(['l-2']);
    expect(third.entries[0]!.position).toBe('3002');
    expect(third.position).toBeUndefined();
  });

  it('ends a page before the envelope that would take it past pageBytes', async () => {
    const { backend } = openBackendHere();
    // The fixture backend's pages hold 4 MiB of JSON: 1.5 MiB envelopes, two a page.
    const big = (id: string) => {
      const r = prepared('big', id, T0);
      const json = JSON.stringify({ ...JSON.parse(r.json), payload: 'x'.repeat(1_500_000) });
      return { ...r, json, bytes: json.length };
    };
    await backend.writeBatch(['b-1', 'b-2', 'b-3'].map(big));
    const first = await backend.readFeed({ limit: 1000 });
    expect(first.entries.map((e) => e.id)).toEqual(['b-1', 'b-2']);
    const second = await backend.readFeed({ after: first.entries[1]!.position, limit: 1000 });
    expect(second.entries.map((e) => e.id)).toEqual(['b-3']);
  });
});
