import { readFileSync, statSync } from 'node:fs';
import { StorageError } from '@history/core';
import { replaceFile } from './fs-sync.js';
import type { SessionFiles } from './session-files.js';

/**
 * The last seq of a deleted session, all that `deleteSession` keeps (no event
 * data): a session appended to again continues after it, so old cursors never
 * point at new events. Read only when the session's data file holds no line.
 */
export function readTombstone(files: SessionFiles): number {
  // Every new session asks: a `stat` needs no descriptor (a process out of them still creates
  // sessions, see SessionHandles) and the usual answer is that there is none.
  if (!statSync(files.tombstone, { throwIfNoEntry: false })) return 0;
  let text: string;
  try {
    text = readFileSync(files.tombstone, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const lastSeq = (JSON.parse(text) as { lastSeq?: unknown }).lastSeq;
  if (typeof lastSeq !== 'number' || !Number.isSafeInteger(lastSeq) || lastSeq < 0) {
    throw new StorageError(`file: ${files.tombstone} is not a valid tombstone`);
  }
  return lastSeq;
}

/** Replaces the tombstone atomically and durably (it is written before the data goes). */
export async function writeTombstone(files: SessionFiles, lastSeq: number): Promise<void> {
  await replaceFile(files.tombstone, `${files.tombstone}.tmp`, `{"lastSeq":${lastSeq}}\n`, true);
}
