import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StorageError } from '@history/core';
import type { StoredCheckpoint } from '@history/core/backend';
import { ensureDir, replaceFile } from './fs-sync.js';
import type { SessionFiles } from './session-files.js';

// As in record lines, the payload comes last and is sliced out verbatim.
const PAYLOAD_MARK = ',"payload":';

/**
 * The temp file a checkpoint is written to before its rename: one fixed name
 * per session (the store writes a session's checkpoints one at a time), so a
 * temp file left by a crash is found without listing a directory.
 */
export function checkpointTempPath(files: SessionFiles): string {
  return `${files.checkpoint}.tmp`;
}

/**
 * Removes the session's checkpoint temp file, if any: only call it when no
 * checkpoint write of the session is running, so that one is a crash's leftover.
 * One `unlink` (usually answered ENOENT); never any other file.
 */
export function removeStaleCheckpointTemp(files: SessionFiles): void {
  try {
    unlinkSync(checkpointTempPath(files));
  } catch {
    // None (the usual case), or it cannot be removed now: the next write replaces it.
  }
}

/**
 * Replaces the session's checkpoint atomically: temp file, fsync, rename
 * (directory fsync when durable). A failed write removes its temp file.
 */
export async function writeCheckpointFile(
  files: SessionFiles,
  checkpoint: StoredCheckpoint,
  durable: boolean,
): Promise<void> {
  await ensureDir(files.dir, durable);
  const seq = checkpoint.seq === undefined ? '' : `,"seq":${checkpoint.seq}`;
  const text = `{"sessionId":${JSON.stringify(checkpoint.sessionId)},"createdAt":${JSON.stringify(checkpoint.createdAt)}${seq}${PAYLOAD_MARK}${checkpoint.json}}\n`;
  await replaceFile(files.checkpoint, checkpointTempPath(files), text, durable);
}

/**
 * Checkpoints up to this size are read synchronously: open, fstat, read and
 * close of a small local file take microseconds, four thread-pool round trips
 * take far longer.
 */
const SYNC_READ_BYTES = 64 * 1024;

/** The checkpoint file's text, or null when there is none. */
async function readText(path: string): Promise<string | null> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const { size } = fstatSync(fd);
    if (size > SYNC_READ_BYTES) return await readFile(path, 'utf8');
    const buffer = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.toString('utf8', 0, read);
  } finally {
    closeSync(fd);
  }
}

export async function readCheckpointFile(files: SessionFiles): Promise<StoredCheckpoint | null> {
  const text = await readText(files.checkpoint);
  if (text === null) return null;
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
