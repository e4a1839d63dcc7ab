import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { envelope } from '@history/contract-tests';
import { idHash } from '@history/core/backend';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { migrate } from '../src/migrate.js';
import { tempDb } from './temp-db.js';

// Live memory is what must stay bounded; sample it after a full GC, not mid-garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const TOTAL = 1_000_000;
const BASE_MS = Date.parse('2026-01-01T00:00:00.000Z');

describe('a 1,000,000-event session', () => {
  const tmp = tempDb();

  beforeAll(() => {
    // Filled directly in the store's schema: this test is about reading.
    const db = new Database(tmp.filename);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    migrate(db);
    const sid = (
      db.prepare('INSERT INTO session_state (name) VALUES (?) RETURNING sid').get('big') as {
        sid: number;
      }
    ).sid;
    const insert = db.prepare(
      'INSERT INTO events (sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const fill = db.transaction((from: number, to: number) => {
      for (let seq = from; seq <= to; seq++) {
        const id = `e${seq}`;
        const occurredAt = new Date(BASE_MS + seq * 1000).toISOString();
        const json = `{"id":"${id}","type":"tick","sessionId":"big","occurredAt":"${occurredAt}","payload":{"n":${seq},"text":"some transcript text of moderate length"}}`;
        insert.run(sid, seq, idHash(id), id, BASE_MS + seq * 1000, BASE_MS, json);
      }
    });
    for (let from = 1; from <= TOTAL; from += 100_000) fill(from, from + 99_999);
    db.close();
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('streams every event in order with bounded memory', async () => {
    const store = await createSqliteHistoryStore({ filename: tmp.filename });
    gc();
    const baseline = process.memoryUsage().heapUsed;
    let peak = 0;
    let expected = 1;
    let bad = 0;
    for await (const r of store.stream('big')) {
      if (r.seq !== expected || (r.envelope.payload as { n: number }).n !== expected) bad++;
      expected++;
      if ((expected & 0x1ffff) === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
    }
    await store.close();
    console.log(`1M-event stream: peak live heap growth ${(peak / 2 ** 20).toFixed(1)} MiB`);
    expect(bad).toBe(0);
    expect(expected - 1).toBe(TOTAL);
    // Holding the session would take several hundred MiB; a page at a time stays far below.
    expect(peak).toBeLessThan(32 * 2 ** 20);
  }, 120_000);

  it('leaving the loop early keeps no read transaction open', async () => {
    const store = await createSqliteHistoryStore({ filename: tmp.filename });
    let seen = 0;
    for await (const r of store.stream('big', { direction: 'backward', after: 500_000 })) {
      expect(r.seq).toBe(499_999 - seen);
      if (++seen === 2500) break;
    }
    // Put frames in the WAL: a TRUNCATE checkpoint cannot complete them while any
    // reader still holds a snapshot from before this write.
    await store.append(envelope(1, { id: 'later', sessionId: 'other' }));
    const probe = new Database(tmp.filename);
    probe.pragma('busy_timeout = 0');
    const [result] = probe.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    probe.close();
    expect(result!.busy).toBe(0);
    await store.close();
  });
});
