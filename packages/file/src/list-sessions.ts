import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { SESSIONS_DIR } from './layout.js';
import { DATA_EXT } from './session-files.js';
import { sessionIdFromSegments } from './session-path.js';

/**
 * The ids of every session stored under `root`, decoded from the file names
 * (in no particular order). Files that are not session files are ignored.
 * Safe to call while a store has the root open.
 */
export async function* listFileSessions(root: string): AsyncGenerator<string> {
  yield* walk(join(root, SESSIONS_DIR), []);
}

async function* walk(dir: string, segments: string[]): AsyncGenerator<string> {
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for await (const entry of handle) {
    if (entry.isDirectory()) {
      yield* walk(join(dir, entry.name), [...segments, entry.name]);
    } else if (entry.isFile() && entry.name.endsWith(DATA_EXT)) {
      const id = sessionIdFromSegments([...segments, entry.name.slice(0, -DATA_EXT.length)]);
      if (id !== undefined) yield id;
    }
  }
}
