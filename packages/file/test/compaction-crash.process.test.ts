import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HistoryRecord } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { runFixture } from './child-process.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Every file under `root`, relative, with its text. */
async function filesOf(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      files.set(path.slice(root.length + 1), await readFile(path, 'utf8'));
    }
  }
  return files;
}

/** Lines holding an expired event, over every session data file. */
function expiredLines(files: Map<string, string>): number {
  let n = 0;
  for (const [path, text] of files) {
    if (path.endsWith('.jsonl')) n += text.split('\n').filter((l) => l.includes('EXP-')).length;
  }
  return n;
}

describe('SIGKILL mid-compaction', () => {
  // `written`: temp file complete; `synced`: lines appended meanwhile copied, about to rename;
  // `renamed`: the new file in place, index not rebuilt yet; `none`: the purge finished.
  const cases = [
    ['written', 300, false],
    ['synced', 300, true],
    ['renamed', 0, true],
    ['none', 0, true],
  ] as const;
  for (const durability of ['os', 'fsync'] as const) {
    for (const [step, expiredOnDisk, tailWritten] of cases) {
      it(`leaves a whole session, old or new, at step ${step} (${durability})`, async () => {
        const root = await tempRoot();
        cleanups.push(root.remove);
        const child = runFixture('compact-and-die.mjs', [root.path, step, durability]);
        const exit = await child.exited;
        expect(child.lines[0]).toBe('written');
        if (step === 'none') expect(exit.code).toBe(0);
        else {
          expect(exit.signal).toBe('SIGKILL');
          expect(child.lines).toContain(`dying ${step}`);
        }
        // On disk: the expired events all there (the crash came before the rename) or none.
        expect(expiredLines(await filesOf(root.path))).toBe(expiredOnDisk);

        const store = await createFileHistoryStore({ root: root.path, durability });
        try {
          const records: HistoryRecord[] = [];
          for await (const r of store.stream('c')) records.push(r);
          const kept = Array.from({ length: 300 }, (_, k) => ({ seq: 2 * k + 1, id: `e${2 * k}` }));
          const tail = Array.from({ length: 10 }, (_, k) => ({ seq: 601 + k, id: `tail-${k}` }));
          const expected = tailWritten ? [...kept, ...tail] : kept;
          expect(records.map((r) => ({ seq: r.seq, id: r.id }))).toEqual(expected);
          const lastSeq = tailWritten ? 610 : 600;
          expect(await store.getSession('c')).toMatchObject({
            lastSeq,
            eventCount: expected.length + expiredOnDisk,
          });
          expect(await store.getCheckpoint('c')).toMatchObject({ payload: { at: 600 } });
          const other: HistoryRecord[] = [];
          for await (const r of store.stream('other')) other.push(r);
          expect(other.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, k) => k + 1));

          // Purging again finishes the job; nothing expired stays, no temp file is left.
          let done = false;
          while (!done) ({ done } = await store.purgeExpired());
          const files = await filesOf(root.path);
          expect(expiredLines(files)).toBe(0);
          expect([...files.keys()].filter((p) => p.includes('.compact'))).toEqual([]);
          expect(
            await store.append({
              id: 'next',
              type: 't',
              payload: {},
              occurredAt: new Date().toISOString(),
              sessionId: 'c',
            }),
          ).toMatchObject({ seq: lastSeq + 1, duplicate: false });
          // Ids of kept events are still deduplicated.
          expect(
            await store.append({
              id: 'e0',
              type: 't',
              payload: {},
              occurredAt: new Date().toISOString(),
              sessionId: 'c',
            }),
          ).toMatchObject({ seq: 1, duplicate: true });
        } finally {
          await store.close();
        }
      }, 60_000);
    }
  }
});
