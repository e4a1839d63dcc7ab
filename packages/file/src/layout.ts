import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SchemaVersionError, StorageError } from '@history/core';
import { ensureDir, replaceFile } from './fs-sync.js';

/**
 * Version of the on-disk layout:
 * - `history-file.json`: this marker.
 * - `sessions/<segments>.jsonl`: one record per line (see record-line.ts).
 * - `sessions/<segments>.idx`: sparse seq → byte offset index (see session-index.ts).
 * - `sessions/<segments>.checkpoint.json`: the latest checkpoint.
 */
export const LAYOUT_VERSION = 1;
const MARKER = 'history-file.json';
export const SESSIONS_DIR = 'sessions';

/** Creates the layout in `root`, or checks the one found there is one this package can read. */
export async function prepareLayout(root: string, durable: boolean): Promise<void> {
  await ensureDir(join(root, SESSIONS_DIR), durable);
  const markerPath = join(root, MARKER);
  let text: string | undefined;
  try {
    text = await readFile(markerPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    const marker = { format: '@history/file', version: LAYOUT_VERSION };
    // Under the root's lock: no other writer uses the temp name.
    await replaceFile(markerPath, `${markerPath}.tmp`, JSON.stringify(marker), durable);
    return;
  }
  let version: unknown;
  try {
    version = (JSON.parse(text) as { version?: unknown }).version;
  } catch {
    version = undefined;
  }
  if (typeof version !== 'number' || !Number.isSafeInteger(version)) {
    throw new StorageError(`file: ${markerPath} is not a valid layout marker`);
  }
  if (version > LAYOUT_VERSION) throw new SchemaVersionError(version, LAYOUT_VERSION);
}
