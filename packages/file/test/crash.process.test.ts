import { envelope } from '@history/contract-tests';
import type { HistoryRecord } from '@history/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileHistoryStore } from '../src/index.js';
import { runFixture } from './child-process.js';
import { tempRoot } from './temp-root.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('SIGKILL mid-ingest', () => {
  const cases = [
    ['os', 'single'],
    ['fsync', 'single'],
    ['os', 'bulk'],
  ] as const;
  for (const [durability, mode] of cases) {
    it(`keeps every acknowledged append exactly once (durability: ${durability}, ${mode} appends)`, async () => {
      const root = await tempRoot();
      cleanups.push(root.remove);
      const child = runFixture('ingest-forever.mjs', [root.path, durability, mode]);
      // Kill while 16 callers are mid-append: some batch is almost surely in flight.
      await child.waitFor(() => child.lines.length >= 3000);
      child.proc.kill('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');
      const acked = child.lines.map((line) => {
        const [sessionId, id, seq] = line.split(' ');
        return { sessionId: sessionId!, id: id!, seq: Number(seq) };
      });

      // The dead child's lock is recognised as stale at once: no LockedError, no wait.
      const store = await createFileHistoryStore({ root: root.path, durability });
      try {
        const stored = new Map<string, HistoryRecord[]>();
        for (const sessionId of ['crash-0', 'crash-1', 'crash-2']) {
          const records: HistoryRecord[] = [];
          for await (const r of store.stream(sessionId)) records.push(r);
          stored.set(sessionId, records);
          // Contiguous seqs, each id once: no torn, lost or doubled line.
          expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
          expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
        }
        for (const ack of acked) {
          const found = stored.get(ack.sessionId)!.filter((r) => r.id === ack.id);
          expect(found).toHaveLength(1);
          expect(found[0]!.seq).toBe(ack.seq);
        }
        // Appending after recovery continues the sequence; re-sending an acknowledged id is a duplicate.
        const last = acked.at(-1)!;
        const again = await store.append(envelope(1, { id: last.id, sessionId: last.sessionId }));
        expect(again).toMatchObject({ duplicate: true, seq: last.seq });
        const fresh = await store.append(envelope(1, { id: 'after-crash', sessionId: 'crash-0' }));
        expect(fresh.seq).toBe(stored.get('crash-0')!.length + 1);
      } finally {
        await store.close();
      }
    }, 60_000);
  }
});
