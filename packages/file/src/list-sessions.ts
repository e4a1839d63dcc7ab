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
  yield* sessionIdsWithFiles(root, [DATA_EXT]);
}

/**
 * The ids of the sessions having a file that ends in one of `extensions` (`.jsonl`,
 * `.tombstone`, ...), decoded from its name, in no particular order: an id comes once per
 * matching file. Other files are ignored.
 */
export async function* sessionIdsWithFiles(
  root: string,
  extensions: readonly string[],
): AsyncGenerator<string> {
  yield* walk(join(root, SESSIONS_DIR), [], extensions);
}

async function* walk(
  dir: string,
  segments: string[],
  extensions: readonly string[],
): AsyncGenerator<string> {
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for await (const entry of handle) {
    if (entry.isDirectory()) {
      yield* walk(join(dir, entry.name), [...segments, entry.name], extensions);
      continue;
    }
    const extension = entry.isFile() && extensions.find((ext) => entry.name.endsWith(ext));
    if (!extension) continue;
    const id = sessionIdFromSegments([...segments, entry.name.slice(0, -extension.length)]);
    if (id !== undefined) yield id;
  }
}
