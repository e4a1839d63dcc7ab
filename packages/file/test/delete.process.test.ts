import type { HistoryRecord } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { runFixture } from './child-process.js';
import { filesContaining } from './files-under.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('deleteSession across processes', () => {
  for (const durability of ['os', 'fsync'] as const) {
    it(`erased events never come back, in the process that deleted or the next one (${durability})`, async () => {
      const root = await tempRoot();
      cleanups.push(root.remove);
      const child = runFixture('delete-then-die.mjs', [root.path, durability]);
      await child.waitFor((line) => line === 'done');
      // Appends made before the call (in flight included) are erased with the session.
      expect(child.lines[0]).toBe('deleted {"deletedEvents":150}');
      const late = child.lines
        .filter((line) => line.startsWith('late '))
        .map((line) => {
          const [, id, seq] = line.split(' ');
          return { id: id!, seq: Number(seq) };
        });
      // Appends made after it start afresh, after the last seq ever handed out.
      expect(late).toEqual(
        Array.from({ length: 20 }, (_, k) => ({ id: `late-${k}`, seq: 151 + k })),
      );
      child.proc.kill('SIGKILL');
      await child.exited;

      // Another process opens the root the killed one held.
      const store = await createFileHistoryStore({ root: root.path, durability });
      try {
        const records: HistoryRecord[] = [];
        for await (const r of store.stream('x')) records.push(r);
        expect(records.map((r) => ({ id: r.id, seq: r.seq }))).toEqual(late);
        expect(await store.getSession('x')).toMatchObject({ lastSeq: 170, eventCount: 20 });
        // An erased id appended again is a new event.
        const again = await store.append({
          id: 'old-0',
          type: 'test',
          payload: {},
          occurredAt: new Date().toISOString(),
          sessionId: 'x',
        });
        expect(again).toMatchObject({ seq: 171, duplicate: false });
      } finally {
        await store.close();
      }
      expect(await filesContaining(root.path, 'ERASED-MARK')).toEqual([]);
    }, 60_000);
  }
});
