import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import type { HistoryRecord } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { sessionFiles } from '../src/session-files.js';
import { runFixture } from './child-process.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function newRoot(): Promise<string> {
  const root = await tempRoot();
  cleanups.push(root.remove);
  return root.path;
}

/** Waits for the child to exit, SIGKILLing it after 30 s: a thread kept alive shows as a kill. */
async function exitOnItsOwn(root: string, ending: 'close' | 'open') {
  const child = runFixture('purge-and-exit.mjs', [root, ending]);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 30_000);
  const exit = await child.exited;
  clearTimeout(timer);
  return { exit, lines: child.lines };
}

/** The nice value of each thread of this process (Linux: field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch {
      return []; // The thread ended meanwhile.
    }
  });
}

describe('the compaction thread', () => {
  it.runIf(process.platform === 'linux')(
    'runs at nice 10, below the event loop, until close() ends it',
    async () => {
      const root = await newRoot();
      const store = await createFileHistoryStore({ root });
      const niceOf = (n: number) => threadNices().filter((nice) => nice === n).length;
      const before = niceOf(10);
      await store.appendMany([
        {
          id: 'e',
          type: 'test',
          sessionId: 's',
          occurredAt: '2020-01-01T00:00:00.000Z',
          ttlMs: 1,
          payload: {},
        },
      ]);
      await expect(store.purgeExpired()).resolves.toMatchObject({ deletedEvents: 1 });
      expect(niceOf(10)).toBe(before + 1);
      await store.close();
      expect(niceOf(10)).toBe(before);
    },
  );

  it('close() ends it: a process that purged and closed its store exits on its own', async () => {
    const root = await newRoot();
    const { exit, lines } = await exitOnItsOwn(root, 'close');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(JSON.parse(lines[0]!)).toEqual({ deletedEvents: 75, sessions: 3, done: true });
  }, 60_000);

  it('between compactions it does not keep the process alive, even with the store left open', async () => {
    const root = await newRoot();
    const { exit, lines } = await exitOnItsOwn(root, 'open');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(JSON.parse(lines[0]!)).toEqual({ deletedEvents: 75, sessions: 3, done: true });
  }, 60_000);

  it('a copy that fails on the thread fails the purge, keeps every record, and the next purge succeeds', async () => {
    const root = await newRoot();
    const store = await createFileHistoryStore({ root });
    try {
      const events = Array.from({ length: 20 }, (_, k) => ({
        id: `e${k}`,
        type: 'test',
        sessionId: 's',
        occurredAt: '2020-01-01T00:00:00.000Z',
        payload: { k },
        ...(k < 10 ? { ttlMs: 1000 } : {}),
      }));
      await store.appendMany(events);
      // A directory where the temp file goes: the thread cannot create it.
      const { compactTemp, dir } = sessionFiles(root, 's');
      await mkdir(compactTemp);
      await expect(store.purgeExpired()).rejects.toMatchObject({ code: 'HISTORY_STORAGE' });
      // Nothing lost: expired records are hidden from reads, so count the live ones, and the
      // purge's own count below shows the expired ones were still on disk.
      const live: HistoryRecord[] = [];
      for await (const r of store.stream('s')) live.push(r);
      expect(live.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 11));
      await rm(compactTemp, { recursive: true });
      expect(await store.purgeExpired()).toEqual({ deletedEvents: 10, sessions: 1, done: true });
      const after: HistoryRecord[] = [];
      for await (const r of store.stream('s')) after.push(r);
      expect(after.map((r) => r.id)).toEqual(live.map((r) => r.id));
      expect((await readdir(dir)).filter((name) => name.endsWith('.compact'))).toEqual([]);
      // Appends go on after the failed and the good compaction alike.
      expect((await store.append({ ...events[10]!, id: 'later' })).seq).toBe(21);
    } finally {
      await store.close();
    }
  });
});
