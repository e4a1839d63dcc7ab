import { fdatasync, fstatSync, ftruncateSync } from 'node:fs';
import { promisify } from 'node:util';
import { StorageError } from '@history/core';
import { fsyncDir } from './fs-sync.js';
import { type Line, readLinesForward } from './line-reader.js';
import { parseRecordLine } from './record-line.js';
import type { SessionFiles } from './session-files.js';
import { startsIndexBlock, syncIndexFile } from './session-index.js';

const datasync = promisify(fdatasync);

/** What the writer keeps in memory for a session it appends to (its handle lives apart). */
export interface SessionState {
  sessionId: string;
  files: SessionFiles;
  /** Bytes of committed, complete lines: where the next write goes, and the end readers stop at. */
  size: number;
  lastSeq: number;
  /** Stored ids and their seq: idempotency without re-reading the file. */
  seqById: Map<string, number>;
}

/**
 * Builds a session's state from its data file, open as `fd`: one streaming
 * scan rebuilds the id map and the sidecar index, and cuts a torn or
 * unreadable last line left by a crash. A bad line followed by good ones is
 * corruption, not a crash: it is reported, never cut. An empty (new) file
 * costs one `fstat`: no read, no index file.
 */
export async function loadSessionState(
  sessionId: string,
  files: SessionFiles,
  fd: number,
  durable: boolean,
): Promise<SessionState> {
  const { size } = fstatSync(fd);
  const seqById = new Map<string, number>();
  if (size === 0) {
    // Possibly created just now: make its directory entry durable too.
    if (durable) await fsyncDir(files.dir);
    return { sessionId, files, size: 0, lastSeq: 0, seqById };
  }
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
    ftruncateSync(fd, end);
    if (durable) await datasync(fd);
  }
  syncIndexFile(files.index, blockOffsets);
  return { sessionId, files, size: end, lastSeq, seqById };
}
