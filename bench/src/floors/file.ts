import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Floor } from '../subject.js';

/**
 * The file system serving P awaiting producers: per round, `JSON.stringify`
 * of each envelope and one `write` per session to a file kept open (one line
 * each, as every producer is its own session), synchronously: no thread-pool
 * round trip, the fastest node:fs goes.
 */
export async function openFileFloor(root: string): Promise<Floor> {
  const fds = new Map<string, number>();
  return {
    async writeRound(envelopes) {
      for (const e of envelopes) {
        const sessionId = e.sessionId ?? 'default';
        let fd = fds.get(sessionId);
        if (fd === undefined) {
          fd = openSync(join(root, `f${fds.size}.jsonl`), 'a');
          fds.set(sessionId, fd);
        }
        writeSync(fd, `${JSON.stringify(e)}\n`);
      }
    },
    async close() {
      for (const fd of fds.values()) closeSync(fd);
    },
  };
}
