import { envelope, envelopes } from '@history/contract-tests';
import { idHash } from '@history/core/backend';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
// Built package: some cases use the default worker threads.
import { createSqliteHistoryStore } from '../dist/index.js';
import { tempDb } from './temp-db.js';

describe('sqlite backend behaviour', () => {
  let db: ReturnType<typeof tempDb>;
  afterEach(() => db?.cleanup());

  it('hashes ids into safe integers, spreading similar UUIDs apart', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const h = idHash(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
      expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
      seen.add(h);
    }
    expect(seen.size).toBe(10_000);
  });

  it('tells ids with the same hash apart (a collision is not a duplicate)', async () => {
    db = tempDb();
    const store = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    await store.append(envelope(1, { id: 'first' }));
    await store.close();
    // Forge a stored row whose hash equals that of 'victim' but whose id differs.
    const conn = new Database(db.filename);
    conn.prepare('UPDATE events SET id_hash = ? WHERE id = ?').run(idHash('victim'), 'first');
    conn.close();
    const reopened = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    expect(await reopened.append(envelope(2, { id: 'victim' }))).toMatchObject({
      seq: 2,
      duplicate: false,
    });
    expect(await reopened.append(envelope(2, { id: 'victim' }))).toMatchObject({
      seq: 2,
      duplicate: true,
    });
    await reopened.close();
  });

  it('tells ids with the same hash apart in a sealed block too', async () => {
    db = tempDb();
    const store = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    await store.appendMany(envelopes(130));
    await store.close();
    // Seq 5 is sealed (in event_ids): forge its hash, in both places, to that of 'victim'.
    const conn = new Database(db.filename);
    conn.prepare('UPDATE events SET id_hash = ? WHERE seq = 5').run(idHash('victim'));
    conn.prepare('UPDATE event_ids SET id_hash = ? WHERE seq = 5').run(idHash('victim'));
    conn.close();
    const reopened = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    expect(await reopened.append(envelope(131, { id: 'victim' }))).toMatchObject({
      seq: 131,
      duplicate: false,
    });
    expect(await reopened.append(envelope(131, { id: 'victim' }))).toMatchObject({
      seq: 131,
      duplicate: true,
    });
    await reopened.close();
  });

  it.each([true, false])(
    'finds a retried id in any sealed block and in the unsealed tail, from a warm and a cold connection (worker: %s)',
    async (worker) => {
      db = tempDb();
      const warm = await createSqliteHistoryStore({ filename: db.filename, worker });
      // Single appends and batches, so blocks are sealed inside and at the end of batches:
      // seqs 1-100 one at a time, then 101-256 and 257-424 (3 * 128 + 40) in two batches.
      for (let i = 1; i <= 100; i++) await warm.append(envelope(i));
      await warm.appendMany(envelopes(156, {}, 101));
      await warm.appendMany(envelopes(168, {}, 257));
      const cold = await createSqliteHistoryStore({ filename: db.filename, worker });
      const probes = [1, 64, 128, 129, 256, 257, 384, 385, 400, 424];
      for (const store of [warm, cold]) {
        const retried = await store.appendMany(probes.map((seq) => envelope(seq)));
        expect(retried.map((r) => [r.seq, r.duplicate])).toEqual(probes.map((seq) => [seq, true]));
      }
      // The cold connection committed nothing new; a fresh id still takes the next seq on both.
      expect(await cold.append(envelope(425, { id: 'new-1' }))).toMatchObject({
        seq: 425,
        duplicate: false,
      });
      expect(await warm.append(envelope(426, { id: 'new-2' }))).toMatchObject({
        seq: 426,
        duplicate: false,
      });
      expect(await warm.append(envelope(425, { id: 'new-1' }))).toMatchObject({
        seq: 425,
        duplicate: true,
      });
      await warm.close();
      await cold.close();
      const conn = new Database(db.filename, { readonly: true });
      expect(
        conn.prepare('SELECT min(seq) AS lo, max(seq) AS hi, count(*) AS n FROM event_ids').get(),
      ).toEqual({
        lo: 1,
        hi: 384,
        n: 384,
      });
      conn.close();
    },
  );

  it('takes seq from the database, not from memory, when another connection appended', async () => {
    db = tempDb();
    const a = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    const b = await createSqliteHistoryStore({ filename: db.filename, worker: false });
    expect((await a.append(envelope(1, { id: 'a1' }))).seq).toBe(1);
    expect((await b.append(envelope(2, { id: 'b1' }))).seq).toBe(2);
    expect((await a.append(envelope(3, { id: 'a2' }))).seq).toBe(3);
    expect(await b.append(envelope(3, { id: 'a2' }))).toMatchObject({ seq: 3, duplicate: true });
    await a.close();
    await b.close();
  });

  it('retries a batch that met SQLITE_BUSY, and commits it once the lock is released', async () => {
    db = tempDb();
    const store = await createSqliteHistoryStore({
      filename: db.filename,
      worker: false,
      busyTimeoutMs: 0,
      retries: 10,
      retryDelayMs: 5,
    });
    await store.append(envelope(1, { id: 'before' }));
    const locker = new Database(db.filename);
    locker.exec('BEGIN IMMEDIATE');
    const pending = store.append(envelope(2, { id: 'during' }));
    await new Promise((resolve) => setTimeout(resolve, 30));
    locker.exec('COMMIT');
    locker.close();
    expect(await pending).toMatchObject({ seq: 2, duplicate: false });
    await store.close();
  });

  it('fails with a transient HISTORY_STORAGE error when the lock outlasts the retries', async () => {
    db = tempDb();
    const store = await createSqliteHistoryStore({
      filename: db.filename,
      worker: false,
      busyTimeoutMs: 0,
      retries: 0,
    });
    const locker = new Database(db.filename);
    locker.exec('BEGIN IMMEDIATE');
    await expect(store.append(envelope(1, { id: 'x' }))).rejects.toMatchObject({
      code: 'HISTORY_STORAGE',
      transient: true,
    });
    locker.exec('ROLLBACK');
    locker.close();
    // The store stays usable.
    expect(await store.append(envelope(1, { id: 'x' }))).toMatchObject({
      seq: 1,
      duplicate: false,
    });
    await store.close();
  });

  it.each([true, false])(
    'a stream still consumed after close() ends with HISTORY_CLOSED, opening nothing (worker: %s)',
    async (worker) => {
      db = tempDb();
      const store = await createSqliteHistoryStore({ filename: db.filename, worker, pageSize: 10 });
      await store.appendMany(envelopes(100));
      let seen = 0;
      const consume = async () => {
        for await (const _ of store.stream('s1')) {
          if (++seen === 15) await store.close();
        }
      };
      await expect(consume()).rejects.toMatchObject({ code: 'HISTORY_CLOSED' });
      // At most the page in hand and the one prefetched before close().
      expect(seen).toBeLessThanOrEqual(30);
    },
  );

  it('keeps planner statistics in sqlite_stat1 only, removing stat4 samples (they re-prepare statements per binding)', async () => {
    db = tempDb();
    const first = await createSqliteHistoryStore({ filename: db.filename });
    await first.appendMany(
      Array.from({ length: 200 }, (_, i) => envelope(i, { sessionId: `s${i % 4}` })),
    );
    await first.close();
    const raw = () => new Database(db.filename);
    let conn = raw();
    // One row per index of events (expiries have a table of their own since migration 0006).
    expect(
      conn.prepare("SELECT idx FROM sqlite_stat1 WHERE tbl = 'events' ORDER BY idx").pluck().all(),
    ).toEqual(['events_by_seq']);
    expect(conn.prepare('SELECT count(*) AS n FROM sqlite_stat4').get()).toEqual({ n: 0 });
    // A database analysed with stat4 samples (by an earlier version, or by hand) loses them on open.
    conn.exec('ANALYZE');
    expect(
      (conn.prepare('SELECT count(*) AS n FROM sqlite_stat4').get() as { n: number }).n,
    ).toBeGreaterThan(0);
    conn.close();
    const second = await createSqliteHistoryStore({ filename: db.filename });
    expect(await second.append(envelope(0, { sessionId: 's0' }))).toMatchObject({
      seq: 1,
      duplicate: true,
    });
    conn = raw();
    expect(conn.prepare('SELECT count(*) AS n FROM sqlite_stat4').get()).toEqual({ n: 0 });
    conn.close();
    await second.close();
  });

  it('stores text exactly: NUL escapes, lone surrogates, case-distinct sessions', async () => {
    db = tempDb();
    const store = await createSqliteHistoryStore({ filename: db.filename, pageSize: 1 });
    const payload = { text: 'a\u0000b \ud800 \udfff é 🙂' };
    await store.append(envelope(1, { id: 'x', sessionId: 'Case', payload }));
    await store.append(envelope(1, { id: 'x', sessionId: 'case', payload: 2 }));
    const read = [];
    for await (const r of store.stream('Case')) read.push(r);
    expect(read).toHaveLength(1);
    expect(read[0]!.envelope.payload).toEqual(payload);
    await store.close();
  });
});
