import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { HistoryStore } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteHistoryStore } from '../dist/index.js';
import { event, fill, ids } from './session-helpers.js';
import { tempDb } from './temp-db.js';

const fixture = new URL('./fixtures/delete-session.mjs', import.meta.url).pathname;
const appendLoop = new URL('./fixtures/append-loop.mjs', import.meta.url).pathname;

/** Resolves once `ready()` holds, checking on every event-loop turn that brings data. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('a delete from another process', () => {
  let store: HistoryStore | undefined;
  let db: ReturnType<typeof tempDb>;
  afterEach(async () => {
    await store?.close();
    db.cleanup();
  });

  it("never lets this process's cached seqs or ids bring the session back", async () => {
    db = tempDb();
    store = await createSqliteHistoryStore({ filename: db.filename });
    await fill(store, 's', 150);
    await fill(store, 'other', 5);
    const out = execFileSync(process.execPath, [fixture, db.filename, 's'], { encoding: 'utf8' });
    expect(out.trim()).toBe('deleted 150');
    expect(await ids(store, 's')).toEqual([]);
    expect(await store.getSession('s')).toBeNull();
    const again = await store.appendMany([event('s', 150), event('s', 1), event('other', 6)]);
    expect(again.map((r) => [r.sessionId, r.seq, r.duplicate])).toEqual([
      ['s', 151, false],
      ['s', 152, false],
      ['other', 6, false],
    ]);
    expect(await store.getSession('s')).toMatchObject({ lastSeq: 152, eventCount: 2 });
  });

  it('erases what both processes appended before the delete, while both keep appending', async () => {
    db = tempDb();
    store = await createSqliteHistoryStore({ filename: db.filename });
    const child = spawn(process.execPath, [appendLoop, db.filename, 'shared', 'child', '0', '8'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'close');
    const acks: [string, number][] = [];
    let rest = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const [kind, id, seq] = line.split(' ');
        if (kind === 'ack') acks.push([id!, Number(seq)]);
      }
    });
    // This process appends too, four at a time, until told to stop.
    const mine: [string, number][] = [];
    let stop = false;
    let n = 0;
    const producer = async () => {
      while (!stop) {
        const r = await store!.append(event('shared', n++));
        mine.push([r.id, r.seq]);
      }
    };
    const producers = Promise.all([producer(), producer(), producer(), producer()]);
    let before: [string, number][] = [];
    try {
      await until(() => acks.length >= 300 && mine.length >= 100);
      // Acknowledged before the call: committed before the delete, so erased by it.
      before = [...acks, ...mine];
      const deleted = await store.deleteSession('shared');
      expect(deleted.deletedEvents).toBeGreaterThanOrEqual(before.length);
      const afterDelete = acks.length;
      await until(() => acks.length >= afterDelete + 200);
    } finally {
      stop = true;
      child.kill('SIGKILL');
      await exited;
      await producers;
    }
    const stored = await ids(store, 'shared');
    const erased = new Set(before.map(([id]) => id));
    expect(stored.filter(([id]) => erased.has(id))).toEqual([]);
    const seqs = stored.map(([, seq]) => seq);
    expect(seqs[0]).toBeGreaterThan(Math.max(...before.map(([, seq]) => seq)));
    // Seqs strictly increasing, ids unique, every one after the erased ones.
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(stored.map(([id]) => id)).size).toBe(stored.length);
    expect(await store.getSession('shared')).toMatchObject({
      lastSeq: seqs.at(-1),
      eventCount: stored.length,
    });
  });
});
