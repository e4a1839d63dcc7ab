import { fdatasync, fstatSync, ftruncateSync } from 'node:fs';
import { promisify } from 'node:util';
import { StorageError } from '@history/core';
import { fsyncDir } from './fs-sync.js';
import { type Line, readLinesForward } from './line-reader.js';
import { parseMetaLine, type SessionMeta } from './meta-line.js';
import { parseRecordLine, type RecordLine } from './record-line.js';
import type { SessionFiles } from './session-files.js';
import { startsIndexBlock, syncIndexFile } from './session-index.js';
import { type SessionSummary, summarize } from './session-summary.js';
import { readTombstone } from './tombstone.js';

const datasync = promisify(fdatasync);

/** What the writer keeps in memory for a session it appends to (its handle lives apart). */
export interface SessionState {
  sessionId: string;
  files: SessionFiles;
  /** Bytes of committed, complete lines: where the next write goes, and the end readers stop at. */
  size: number;
  /** Complete lines in the file, a compaction's meta line included (index blocks count lines). */
  lines: number;
  /** The last seq handed out: the file's, its meta line's, or its tombstone's when it is empty. */
  lastSeq: number;
  /** Stored ids and their seq: idempotency without re-reading the file. */
  seqById: Map<string, number>;
  /** What listings tell of it; `undefined` while the session does not exist (no line yet). */
  summary: SessionSummary | undefined;
}

/** What one scan of a session file finds (see `scanSessionFile`). */
export interface SessionScan {
  /** End of the last good line: a torn or unreadable tail starts there. */
  end: number;
  lines: number;
  meta: SessionMeta | undefined;
  first: RecordLine | undefined;
  last: RecordLine | undefined;
  seqById: Map<string, number>;
  /** Offsets of the lines that start index blocks. */
  blockOffsets: number[];
}

/**
 * Reads a whole session file once: its meta line, every record line (seqs must
 * grow), the id map and the index blocks. A bad line followed by good ones is
 * corruption, not a crash: it is reported, never skipped.
 */
export async function scanSessionFile(
  files: SessionFiles,
  fd: number,
  size: number,
): Promise<SessionScan> {
  const scan: SessionScan = {
    end: 0,
    lines: 0,
    meta: undefined,
    first: undefined,
    last: undefined,
    seqById: new Map(),
    blockOffsets: [],
  };
  let lastGood: Line | undefined;
  let badOffset: number | undefined;
  for await (const lines of readLinesForward(fd, 0, size)) {
    for (const line of lines) {
      if (badOffset !== undefined) {
        throw new StorageError(
          `file: ${files.data} is corrupt: unreadable line at byte ${badOffset} before later lines`,
        );
      }
      const meta = line.offset === 0 ? parseMetaLine(line.text) : undefined;
      const record = meta ? undefined : parseRecordLine(line.text);
      // Seqs grow along the file (a meta line's last seq may be past every line kept).
      if (!meta && (!record || record.seq <= (scan.last?.seq ?? 0))) {
        badOffset = line.offset;
        continue;
      }
      if (startsIndexBlock(scan.lines)) scan.blockOffsets.push(line.offset);
      scan.lines++;
      if (meta) scan.meta = meta;
      if (record) {
        scan.first ??= record;
        scan.last = record;
        if (!scan.seqById.has(record.id)) scan.seqById.set(record.id, record.seq);
      }
      lastGood = line;
    }
  }
  const validEnd = lastGood ? lastGood.offset + Buffer.byteLength(lastGood.text, 'utf8') + 1 : 0;
  scan.end = badOffset ?? validEnd;
  return scan;
}

/**
 * Builds a session's state from its data file, open as `fd`: one streaming
 * scan rebuilds the id map and the sidecar index, and cuts a torn or
 * unreadable last line left by a crash. An empty (new) file costs one `fstat`
 * and a look for a tombstone: no read, no index file.
 */
export async function loadSessionState(
  sessionId: string,
  files: SessionFiles,
  fd: number,
  durable: boolean,
): Promise<SessionState> {
  const { size } = fstatSync(fd);
  if (size === 0) {
    // Possibly created just now: make its directory entry durable too.
    if (durable) await fsyncDir(files.dir);
    return emptyState(sessionId, files);
  }
  const scan = await scanSessionFile(files, fd, size);
  if (scan.end < size) {
    // A crash mid-write left a torn (or garbage) tail: no append ever resolved on it.
    ftruncateSync(fd, scan.end);
    if (durable) await datasync(fd);
  }
  syncIndexFile(files.index, scan.blockOffsets);
  const summary = summarize(scan.meta, scan.first, scan.last);
  if (!summary) return emptyState(sessionId, files);
  return {
    sessionId,
    files,
    size: scan.end,
    lines: scan.lines,
    lastSeq: summary.lastSeq,
    seqById: scan.seqById,
    // Counted, not derived: the scan saw every line.
    summary: { ...summary, eventCount: scan.lines - (scan.meta ? 1 : 0) },
  };
}

/** A session with no line: its seqs continue after its tombstone, if it was deleted. */
function emptyState(sessionId: string, files: SessionFiles): SessionState {
  return {
    sessionId,
    files,
    size: 0,
    lines: 0,
    lastSeq: readTombstone(files),
    seqById: new Map(),
    summary: undefined,
  };
}
