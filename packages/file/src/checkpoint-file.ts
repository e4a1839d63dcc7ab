import { readFile } from 'node:fs/promises';
import { StorageError, type StoredCheckpoint } from '@history/core';
import { ensureDir, replaceFile } from './fs-sync.js';
import type { SessionFiles } from './session-files.js';

// As in record lines, the payload comes last and is sliced out verbatim.
const PAYLOAD_MARK = ',"payload":';

/** Replaces the session's checkpoint atomically: temp file, fsync, rename (directory fsync when durable). */
export async function writeCheckpointFile(
  files: SessionFiles,
  checkpoint: StoredCheckpoint,
  durable: boolean,
): Promise<void> {
  await ensureDir(files.dir, durable);
  const seq = checkpoint.seq === undefined ? '' : `,"seq":${checkpoint.seq}`;
  const text = `{"sessionId":${JSON.stringify(checkpoint.sessionId)},"createdAt":${JSON.stringify(checkpoint.createdAt)}${seq}${PAYLOAD_MARK}${checkpoint.json}}\n`;
  await replaceFile(files.checkpoint, text, durable);
}

export async function readCheckpointFile(files: SessionFiles): Promise<StoredCheckpoint | null> {
  let text: string;
  try {
    text = await readFile(files.checkpoint, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const cut = text.indexOf(PAYLOAD_MARK);
  const body = text.trimEnd();
  let head: { sessionId?: unknown; createdAt?: unknown; seq?: unknown } | undefined;
  try {
    head = cut < 0 ? undefined : JSON.parse(`${text.slice(0, cut)}}`);
  } catch {
    head = undefined;
  }
  if (
    !head ||
    typeof head.sessionId !== 'string' ||
    typeof head.createdAt !== 'string' ||
    !body.endsWith('}')
  ) {
    throw new StorageError(`file: ${files.checkpoint} is not a valid checkpoint`);
  }
  return {
    sessionId: head.sessionId,
    createdAt: head.createdAt,
    json: body.slice(cut + PAYLOAD_MARK.length, -1),
    ...(typeof head.seq === 'number' ? { seq: head.seq } : {}),
  };
}
