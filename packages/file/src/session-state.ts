import { constants, type FileHandle, open } from 'node:fs/promises';
import { StorageError } from '@history/core';
import { ensureDir, fsyncDir } from './fs-sync.js';
import { type Line, readLinesForward } from './line-reader.js';
import { parseRecordLine } from './record-line.js';
import type { SessionFiles } from './session-files.js';
import { startsIndexBlock, syncIndexFile } from './session-index.js';

/** What the writer keeps in memory for a session it appends to. */
export interface SessionState {
  sessionId: string;
  files: SessionFiles;
  /** Open for appending at `size`; owned by the session cache. */
  fd: FileHandle;
  /** Bytes of committed, complete lines: the end readers stop at. */
  size: number;
  lastSeq: number;
  /** Stored ids and their seq: idempotency without re-reading the file. */
  seqById: Map<string, number>;
}

/**
 * Opens a session for appending: one streaming scan rebuilds the id map and
 * the sidecar index, and cuts a torn or unreadable last line left by a crash.
 * A bad line followed by good ones is corruption, not a crash: it is reported,
 * never cut.
 */
export async function loadSession(
  sessionId: string,
  files: SessionFiles,
  durable: boolean,
): Promise<SessionState> {
  await ensureDir(files.dir, durable);
  let fd: FileHandle;
  let created = false;
  try {
    fd = await open(files.data, constants.O_RDWR);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    fd = await open(files.data, constants.O_RDWR | constants.O_CREAT, 0o644);
    created = true;
  }
  try {
    if (created && durable) await fsyncDir(files.dir);
    const { size } = await fd.stat();
    const seqById = new Map<string, number>();
    const blockOffsets: number[] = [];
    let lastSeq = 0;
    let lastGood: Line | undefined;
    let badOffset: number | undefined;
    for await (const lines of readLinesForward(fd, 0, size)) {
      for (const line of lines) {
        const record = badOffset === undefined ? parseRecordLine(line.text) : undefined;
        if (badOffset !== undefined || !record || record.seq !== lastSeq + 1) {
          if (badOffset === undefined) {
            badOffset = line.offset;
            continue;
          }
          throw new StorageError(
            `file: ${files.data} is corrupt: unreadable line at byte ${badOffset} before later lines`,
          );
        }
        lastSeq = record.seq;
        if (!seqById.has(record.id)) seqById.set(record.id, record.seq);
        if (startsIndexBlock(record.seq)) blockOffsets.push(line.offset);
        lastGood = line;
      }
    }
    const validEnd = lastGood ? lastGood.offset + Buffer.byteLength(lastGood.text, 'utf8') + 1 : 0;
    const end = badOffset ?? validEnd;
    if (end < size) {
      // A crash mid-write left a torn (or garbage) tail: no append ever resolved on it.
      await fd.truncate(end);
      if (durable) await fd.datasync();
    }
    await syncIndexFile(files.index, blockOffsets);
    return { sessionId, files, fd, size: end, lastSeq, seqById };
  } catch (error) {
    await fd.close().catch(() => {});
    throw error;
  }
}
