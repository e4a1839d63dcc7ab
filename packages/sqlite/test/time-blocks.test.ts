import type { HistoryRange, HistoryStore } from '@history/core';
import { idHash } from '@history/core/backend';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { migrate } from '../src/migrate.js';
import { loadMigrations } from '../src/migrations.js';
import {
  nextRunBackward,
  nextRunForward,
  TIME_BLOCK,
  type TimeBlockRow,
} from '../src/time-blocks.js';
import { tempDb } from './temp-db.js';

const DAY = Date.UTC(2025, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

/** A deterministic PRNG (mulberry32), so every run checks the same cases. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Stored {
  seq: number;
  ms: number;
}

async function streamed(store: HistoryStore, sessionId: string, range: HistoryRange) {
  const out: number[] = [];
  for await (const r of store.stream(sessionId, range)) out.push(r.seq);
  return out;
}

/** What `stream` must return, computed from every stored event. */
function expected(all: readonly Stored[], range: HistoryRange): number[] {
  const from = range.from === undefined ? -Infinity : Date.parse(range.from);
  const to = range.to === undefined ? Infinity : Date.parse(range.to);
  const backward = range.direction === 'backward';
  let rows = all.filter((r) => r.ms >= from && r.ms <= to);
  if (range.after !== undefined) {
    const after = range.after;
    rows = rows.filter((r) => (backward ? r.seq < after : r.seq > after));
  }
  let seqs = rows.map((r) => r.seq);
  if (backward) seqs.reverse();
  if (range.limit !== undefined) seqs = seqs.slice(0, range.limit);
  return seqs;
}

describe('time-range reads through the sparse time index', () => {
  const tmp = tempDb();
  let store: HistoryStore;
  // Three sessions: times increasing (most blocks skipped), shuffled (few skipped), and
  // increasing with one block of late, out-of-order events.
  const sessions: Record<string, Stored[]> = { rising: [], shuffled: [], late: [] };

  beforeAll(async () => {
    store = await createSqliteHistoryStore({ filename: tmp.filename, pageSize: 37 });
    const next = random(7);
    const n = TIME_BLOCK * 7 + 50;
    for (const [name, rows] of Object.entries(sessions)) {
      const times = Array.from({ length: n }, (_, i) => {
        if (name === 'shuffled') return DAY + Math.floor(next() * n) * 1000;
        if (name === 'late' && i >= 3 * TIME_BLOCK && i < 4 * TIME_BLOCK) return DAY - 5000 * i;
        return DAY + i * 1000;
      });
      // Appended in calls of varying size, so blocks are sealed in batches of every shape.
      for (let i = 0; i < n; ) {
        const size = 1 + Math.floor(next() * 90);
        const chunk = times.slice(i, i + size).map((ms, k) => ({
          id: `${name}-${i + k}`,
          sessionId: name,
          type: 't',
          payload: { k: i + k },
          occurredAt: iso(ms),
        }));
        const results = await store.appendMany(chunk);
        for (const [k, r] of results.entries()) rows.push({ seq: r.seq, ms: times[i + k]! });
        i += size;
      }
    }
  });
  afterAll(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('seals every complete block with its earliest and latest time', () => {
    const db = new Database(tmp.filename, { readonly: true });
    try {
      for (const [name, rows] of Object.entries(sessions)) {
        const blocks = db
          .prepare(
            'SELECT block, min_ms, max_ms FROM time_blocks JOIN session_state USING (sid) WHERE name = ? ORDER BY block',
          )
          .all(name) as TimeBlockRow[];
        const complete = Math.floor(rows.length / TIME_BLOCK);
        expect(blocks.map((b) => b.block)).toEqual(Array.from({ length: complete }, (_, b) => b));
        for (const b of blocks) {
          const times = rows
            .slice(b.block * TIME_BLOCK, (b.block + 1) * TIME_BLOCK)
            .map((r) => r.ms);
          expect([b.min_ms, b.max_ms]).toEqual([Math.min(...times), Math.max(...times)]);
        }
      }
    } finally {
      db.close();
    }
  });

  it('returns exactly the events in range, in every direction, after any cursor, with any limit', async () => {
    const next = random(11);
    const span = (TIME_BLOCK * 7 + 50) * 1000;
    for (const [name, rows] of Object.entries(sessions)) {
      for (let trial = 0; trial < 60; trial++) {
        const a = DAY - 5_000_000 * (trial % 3 === 0 ? 1 : 0) + Math.floor(next() * span);
        const b = a + Math.floor(next() * span * (trial % 2 === 0 ? 0.05 : 0.6));
        const range: HistoryRange = {
          ...(trial % 5 !== 1 ? { from: iso(a) } : {}),
          ...(trial % 5 !== 2 ? { to: iso(b) } : {}),
          ...(trial % 4 === 3 ? { direction: 'backward' as const } : {}),
          ...(trial % 3 === 1 ? { after: 1 + Math.floor(next() * rows.length) } : {}),
          ...(trial % 6 === 5 ? { limit: 1 + Math.floor(next() * 200) } : {}),
        };
        expect(await streamed(store, name, range), `${name} ${JSON.stringify(range)}`).toEqual(
          expected(rows, range),
        );
      }
    }
  });
});

describe('the run a time-range walk reads next', () => {
  const B = TIME_BLOCK;
  // Sealed blocks 0-5 with their time bounds; block 3 has no row (written by an older version).
  const blocks: TimeBlockRow[] = [
    { block: 0, min_ms: 0, max_ms: 9 },
    { block: 1, min_ms: 10, max_ms: 19 },
    { block: 2, min_ms: 20, max_ms: 29 },
    { block: 4, min_ms: 40, max_ms: 49 },
    { block: 5, min_ms: 50, max_ms: 59 },
  ];
  const forward = (from: number) => blocks.filter((b) => b.block >= from);
  const backward = (from: number) => blocks.filter((b) => b.block <= from).reverse();

  it('forward: skips blocks out of range, reads unsealed ones and the open tail', () => {
    expect(nextRunForward(forward, 0, 12, 15)).toEqual({ lo: B + 1, hi: 2 * B });
    // Block 2 matches, 3 is unsealed (read), 4 matches, 5 does not.
    expect(nextRunForward(forward, 0, 25, 45)).toEqual({ lo: 2 * B + 1, hi: 5 * B });
    // Nothing sealed matches: the unsealed block 3, then the tail after block 5.
    expect(nextRunForward(forward, 0, 100, 200)).toEqual({ lo: 3 * B + 1, hi: 4 * B });
    expect(nextRunForward(forward, 4 * B, 100, 200)).toEqual({
      lo: 6 * B + 1,
      hi: Number.POSITIVE_INFINITY,
    });
    // A cursor inside a matching block starts right after it.
    expect(nextRunForward(forward, B + 5, 12, 15)).toEqual({ lo: B + 6, hi: 2 * B });
  });

  it('backward: the open tail first, then matching and unsealed blocks, down to seq 1', () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(nextRunBackward(backward, inf, 100, 200)).toEqual({ lo: 6 * B + 1, hi: inf });
    expect(nextRunBackward(backward, 6 * B + 1, 100, 200)).toEqual({ lo: 3 * B + 1, hi: 4 * B });
    expect(nextRunBackward(backward, 3 * B + 1, 100, 200)).toBeUndefined();
    expect(nextRunBackward(backward, 6 * B + 1, 0, 15)).toEqual({ lo: 3 * B + 1, hi: 4 * B });
    expect(nextRunBackward(backward, 3 * B + 1, 0, 15)).toEqual({ lo: 1, hi: 2 * B });
    // A cursor inside a matching block ends right before it.
    expect(nextRunBackward(backward, 5 * B + 7, 50, 55)).toEqual({ lo: 5 * B + 1, hi: 5 * B + 6 });
    expect(nextRunBackward(backward, 1, 0, 100)).toBeUndefined();
  });
});

describe('migration 0002', () => {
  it('drops the time index and seals the complete blocks of existing sessions', async () => {
    const tmp = tempDb();
    try {
      const db = new Database(tmp.filename);
      migrate(
        db,
        loadMigrations().filter((m) => m.version === 1),
      );
      db.prepare("INSERT INTO sessions (sid, name) VALUES (1, 'old')").run();
      const insert = db.prepare(
        'INSERT INTO events (sid, seq, id_hash, id, occurred_at_ms, created_at_ms, json) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      const n = 2 * TIME_BLOCK + 10;
      for (let seq = 1; seq <= n; seq++) {
        const ms = DAY + (seq % 50) * 1000;
        const json = JSON.stringify({
          id: `e${seq}`,
          type: 't',
          occurredAt: iso(ms),
          payload: seq,
        });
        insert.run(1, seq, idHash(`e${seq}`), `e${seq}`, ms, DAY, json);
      }
      db.close();

      const store = await createSqliteHistoryStore({ filename: tmp.filename });
      const all = Array.from({ length: n }, (_, i) => ({
        seq: i + 1,
        ms: DAY + ((i + 1) % 50) * 1000,
      }));
      const range = { from: iso(DAY + 10_000), to: iso(DAY + 12_000) };
      expect(await streamed(store, 'old', range)).toEqual(expected(all, range));
      await store.close();

      const after = new Database(tmp.filename, { readonly: true });
      const indexes = after
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
        .all() as { name: string }[];
      expect(indexes.map((i) => i.name)).not.toContain('events_by_time');
      expect(
        after.prepare('SELECT block, min_ms, max_ms FROM time_blocks ORDER BY block').all(),
      ).toEqual([
        { block: 0, min_ms: DAY, max_ms: DAY + 49_000 },
        { block: 1, min_ms: DAY, max_ms: DAY + 49_000 },
      ]);
      after.close();
    } finally {
      tmp.cleanup();
    }
  });
});
