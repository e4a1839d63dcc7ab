import { DEFAULT_PAGE_BYTES } from '@history/core/backend';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { createThreadRunner } from '../dist/threads/thread-runner.js';
import {
  INLINE_READ_BYTES,
  INLINE_WRITE_BYTES,
  MainThreadLane,
} from '../src/threads/main-thread-lane.js';
import type { WriteBatchResult, WriteBatchTask } from '../src/threads/tasks.js';
import { WalFrames } from '../src/threads/wal-frames.js';
import { tempDb } from './temp-db.js';

const batch = (session: string, from: number, n: number, pad = 100): WriteBatchTask => ({
  kind: 'writeBatch',
  sessionIds: Array.from({ length: n }, () => session),
  ids: Array.from({ length: n }, (_, i) => `${session}-${from + i}`),
  occurredAtMs: new Float64Array(n),
  expiresAtMs: new Float64Array(n).fill(Number.NaN),
  jsons: Array.from({ length: n }, (_, i) => JSON.stringify({ i: from + i, pad: 'x'.repeat(pad) })),
});

describe('main-thread lane', () => {
  let db: ReturnType<typeof tempDb>;
  let lanes: MainThreadLane[] = [];
  const open = (overrides: Partial<ConstructorParameters<typeof MainThreadLane>[0]> = {}) => {
    const lane = new MainThreadLane({
      filename: db.filename,
      durability: 'normal',
      busyTimeoutMs: 5000,
      inlineWriteRows: 256,
      inlineReadRows: 1000,
      ...overrides,
    });
    lanes.push(lane);
    return lane;
  };
  const prepare = async () => {
    db = tempDb();
    // Creates and migrates the file, as the store does before opening its lane.
    await (await createSqliteHistoryStore({ filename: db.filename, worker: false })).close();
  };
  afterEach(() => {
    for (const lane of lanes) lane.close();
    lanes = [];
    db?.cleanup();
  });

  it('writes small batches and refuses those above inlineWriteRows or the byte budget', async () => {
    await prepare();
    const lane = open({ inlineWriteRows: 10 });
    const written = lane.write(batch('s', 0, 10)) as WriteBatchResult;
    expect([...written.seqs]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lane.write(batch('s', 10, 11))).toBeUndefined();
    const big = Math.ceil(INLINE_WRITE_BYTES / 4) + 1;
    expect(lane.write(batch('t', 0, 1, 4 * big))).toBeUndefined();
    expect(open({ inlineWriteRows: 0 }).write(batch('s', 10, 1))).toBeUndefined();
  });

  it("leaves every write to the writer thread with durability 'full' (an fsync per commit)", async () => {
    await prepare();
    expect(open({ durability: 'full' }).write(batch('s', 0, 1))).toBeUndefined();
  });

  it('never waits for a lock another connection holds: it refuses the batch, which wrote nothing', async () => {
    await prepare();
    const lane = open();
    const locker = new Database(db.filename);
    locker.exec('BEGIN IMMEDIATE');
    // With busy_timeout honoured this would block this thread for busyTimeoutMs.
    expect(lane.write(batch('s', 0, 3))).toBeUndefined();
    locker.exec('COMMIT');
    locker.close();
    const written = lane.write(batch('s', 0, 3)) as WriteBatchResult;
    expect([...written.seqs]).toEqual([1, 2, 3]);
  });

  it("never checkpoints the WAL; from the checkpoint interval it says one is due, from the writer's interval writes go to the writer thread", async () => {
    await prepare();
    const lane = open({ checkpointFrames: 1500, maxWalFrames: 3000 });
    const wal = new WalFrames(db.filename);
    let frames = wal.read()!;
    let batches = 0;
    expect(lane.walDue()).toBe(false);
    // Well past SQLite's default auto-checkpoint (1,000 frames): no checkpoint ran here.
    while (lane.write(batch('s', batches * 50, 50, 2000)) !== undefined) {
      const now = wal.read()!;
      expect(now).toBeGreaterThan(frames);
      expect(lane.walDue()).toBe(now >= 1500);
      frames = now;
      batches++;
    }
    expect(frames).toBeGreaterThanOrEqual(3000);
    expect(lane.write(batch('s', batches * 50, 1))).toBeUndefined();
    // A checkpoint elsewhere (the writer thread's, in the store) restarts the WAL; the
    // lane writes again.
    const other = new Database(db.filename);
    other.pragma('wal_checkpoint(TRUNCATE)');
    other.close();
    const next = lane.write(batch('s', batches * 50, 1)) as WriteBatchResult;
    expect(next.seqs[0]).toBe(batches * 50 + 1);
    expect(wal.read()!).toBeLessThan(1500);
    expect(lane.walDue()).toBe(false);
    wal.close();
  });

  it('with worker threads, a due WAL is checkpointed on the writer thread while the main thread goes on writing', async () => {
    await prepare();
    const runner = createThreadRunner({
      filename: db.filename,
      durability: 'normal',
      busyTimeoutMs: 5000,
      readers: 1,
      inlineWriteRows: 256,
      inlineReadRows: 1000,
      checkpointFrames: 300,
    });
    const wal = new WalFrames(db.filename);
    try {
      let written = 0;
      const write = async (n: number, pad: number) => {
        const result = (await runner.write(batch('s', written, n, pad))) as WriteBatchResult;
        expect(result.seqs[0]).toBe(written + 1);
        written += n;
      };
      // Past the interval: each of these is written on the main thread (refused only from twice
      // the writer's interval, 8,192 frames), and the first to find the WAL due starts a
      // checkpoint on the writer thread.
      while (wal.read()! < 300) await write(20, 2000);
      // The WAL restarts once a checkpoint has copied every frame and the next commit finds
      // it so; small writes go on meanwhile (the checkpoint is asked for again while due).
      const deadline = Date.now() + 30_000;
      while (wal.read()! >= 300) {
        if (Date.now() > deadline) throw new Error(`WAL still at ${wal.read()} frames`);
        await write(1, 10);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const check = new Database(db.filename, { readonly: true });
      expect(check.prepare('SELECT count(*) AS n, max(seq) AS hi FROM events').get()).toEqual({
        n: written,
        hi: written,
      });
      check.close();
    } finally {
      wal.close();
      await runner.close();
    }
  });

  it('reads a first page bounded by rows and bytes, saying whether more follows', async () => {
    await prepare();
    const lane = open({ inlineReadRows: 5 });
    lane.write(batch('s', 0, 10));
    const page = (limit: number, maxRows = limit) =>
      lane.read({
        kind: 'readPage',
        sessionId: 's',
        backward: false,
        limit: Math.min(limit, maxRows),
        maxBytes: DEFAULT_PAGE_BYTES,
      }) as {
        seqs: Float64Array;
        more: boolean;
      };
    expect(page(5)).toMatchObject({ more: true });
    expect([...page(5).seqs]).toEqual([1, 2, 3, 4, 5]);
    // Capped at inlineReadRows (5) even when more is asked for.
    expect(page(20).seqs).toHaveLength(5);
    const whole = open({ inlineReadRows: 1000 });
    const all = whole.read({
      kind: 'readPage',
      sessionId: 's',
      backward: false,
      limit: 10,
      maxBytes: DEFAULT_PAGE_BYTES,
    });
    // Exactly the last row: no further page is needed.
    expect(all).toMatchObject({ more: false });
    expect(
      open({ inlineReadRows: 0 }).read({
        kind: 'readPage',
        sessionId: 's',
        backward: false,
        limit: 10,
        maxBytes: DEFAULT_PAGE_BYTES,
      }),
    ).toBeUndefined();
    expect(
      open({ inlineReadRows: 0 }).read({ kind: 'readCheckpoint', sessionId: 's' }),
    ).toBeUndefined();
  });
});

describe('store with the main-thread lane', () => {
  let db: ReturnType<typeof tempDb>;
  afterEach(() => db?.cleanup());
  const at = '2026-01-01T00:00:00Z';

  it('does not block the event loop on another connection lock: the writer thread waits for it', async () => {
    db = tempDb();
    // busy_timeout far above the test timeout: if the append blocked this thread waiting for
    // the lock, the timer below that releases it could never run and the test would hang.
    const store = await createSqliteHistoryStore({ filename: db.filename, busyTimeoutMs: 600_000 });
    await store.append({ id: 'a', type: 't', sessionId: 's', occurredAt: at, payload: 1 });
    const locker = new Database(db.filename);
    locker.exec('BEGIN IMMEDIATE');
    const pending = store.append({
      id: 'b',
      type: 't',
      sessionId: 's',
      occurredAt: at,
      payload: 2,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    locker.exec('COMMIT');
    locker.close();
    expect(await pending).toMatchObject({ seq: 2, duplicate: false });
    await store.close();
  });

  it('streams a session whose first page the byte budget cuts short, each record once', async () => {
    db = tempDb();
    const store = await createSqliteHistoryStore({ filename: db.filename, pageSize: 1000 });
    const pad = 'y'.repeat(4096);
    const total = Math.ceil((3 * INLINE_READ_BYTES) / pad.length);
    await store.appendMany(
      Array.from({ length: total }, (_, i) => ({
        id: `e${i}`,
        type: 't',
        sessionId: 's',
        occurredAt: at,
        payload: { i, pad },
      })),
    );
    const seqs: number[] = [];
    for await (const r of store.stream('s')) seqs.push(r.seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    await store.close();
  });

  it('takes seq from the database when another store of the process appended in between', async () => {
    db = tempDb();
    const a = await createSqliteHistoryStore({ filename: db.filename });
    const b = await createSqliteHistoryStore({ filename: db.filename, inlineWriteRows: 0 });
    const env = (id: string) => ({ id, type: 't', sessionId: 's', occurredAt: at, payload: id });
    expect((await a.append(env('a1'))).seq).toBe(1);
    expect((await a.append(env('a2'))).seq).toBe(2);
    expect((await b.append(env('b1'))).seq).toBe(3);
    expect((await a.append(env('a3'))).seq).toBe(4);
    expect(await b.append(env('a3'))).toMatchObject({ seq: 4, duplicate: true });
    expect(await a.append(env('b1'))).toMatchObject({ seq: 3, duplicate: true });
    await a.close();
    await b.close();
  });
});
