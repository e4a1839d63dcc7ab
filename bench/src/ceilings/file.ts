import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ceiling, CeilingRow } from '../subject.js';

interface Prepared {
  sessionId: string;
  line: string;
}

/**
 * The fastest the file system goes with no store around it: pre-serialised
 * JSON lines, one open handle per session, one `write` per session per batch
 * (and one `fdatasync` per touched file when `fsync`).
 */
export async function openFileCeiling(root: string, fsync: boolean): Promise<Ceiling> {
  const handles = new Map<string, FileHandle>();
  let files = 0;
  return {
    prepare: (rows: readonly CeilingRow[]) =>
      rows.map((r): Prepared => ({ sessionId: r.sessionId, line: `${r.json}\n` })),
    async writeBatch(prepared) {
      const bySession = new Map<string, string[]>();
      for (const p of prepared as Prepared[]) {
        let lines = bySession.get(p.sessionId);
        if (!lines) {
          lines = [];
          bySession.set(p.sessionId, lines);
        }
        lines.push(p.line);
      }
      await Promise.all(
        [...bySession].map(async ([sessionId, lines]) => {
          let handle = handles.get(sessionId);
          if (!handle) {
            handle = await open(join(root, `s${files++}.jsonl`), 'a');
            handles.set(sessionId, handle);
          }
          await handle.write(lines.join(''));
          if (fsync) await handle.datasync();
        }),
      );
    },
    async close() {
      await Promise.all([...handles.values()].map((h) => h.close()));
    },
  };
}
