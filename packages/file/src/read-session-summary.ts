import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StorageError } from '@history/core';
import { readLinesBackward } from './line-reader.js';
import { isMetaLine, parseMetaLine, type SessionMeta } from './meta-line.js';
import { parseRecordLine, type RecordLine } from './record-line.js';
import type { SessionFiles } from './session-files.js';
import { scanSessionFile } from './session-state.js';
import { type SessionSummary, summarize } from './session-summary.js';

const NEWLINE = 0x0a;
/** First read at each end of the file; a longer line doubles it until the line fits. */
const PROBE_BYTES = 4096;

/**
 * The summary of a session the writer holds no state for, from its file's first
 * and last lines (two small reads, whatever the session's length: a listing
 * page costs the same for short and long sessions). `undefined` when the
 * session has no file or no line. A file whose ends do not read as lines (a
 * crash's garbage tail) is scanned whole instead. `lastSeq` (a read-only store's, from the
 * feed index) is the last committed seq: lines after it do not count.
 */
export async function readSessionSummary(
  files: SessionFiles,
  lastSeq = Number.POSITIVE_INFINITY,
): Promise<SessionSummary | undefined> {
  let fd: number;
  try {
    fd = openSync(files.data, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { size } = fstatSync(fd);
    const ends = readEnds(fd, size);
    if (ends?.last && ends.last.seq > lastSeq) {
      // A batch the writer has not committed ends the file: its last committed line instead.
      const first = ends.first && ends.first.seq <= lastSeq ? ends.first : undefined;
      const last = first || ends.meta ? await lastLineAtMost(files, fd, size, lastSeq) : undefined;
      return summarize(ends.meta, first, last);
    }
    if (ends) return summarize(ends.meta, ends.first, ends.last);
    const scan = await scanSessionFile(files, fd, size);
    const summary = summarize(scan.meta, scan.first, scan.last);
    return summary && { ...summary, eventCount: scan.lines - (scan.meta ? 1 : 0) };
  } finally {
    closeSync(fd);
  }
}

/** The last record line of seq `lastSeq` or less, reading back from the end. */
async function lastLineAtMost(
  files: SessionFiles,
  fd: number,
  size: number,
  lastSeq: number,
): Promise<RecordLine | undefined> {
  for await (const lines of readLinesBackward(fd, 0, size)) {
    for (const line of lines) {
      if (line.offset === 0 && isMetaLine(line.text)) return undefined;
      const record = parseRecordLine(line.text);
      if (!record) {
        throw new StorageError(
          `file: ${files.data} is corrupt: unreadable line at byte ${line.offset}`,
        );
      }
      if (record.seq <= lastSeq) return record;
    }
  }
  return undefined;
}

interface Ends {
  meta: SessionMeta | undefined;
  first: RecordLine | undefined;
  last: RecordLine | undefined;
}

/** The meta line and the first and last record lines, or `undefined` when one does not parse. */
function readEnds(fd: number, size: number): Ends | undefined {
  const head = firstLine(fd, size);
  if (head === undefined) return { meta: undefined, first: undefined, last: undefined };
  const tail = lastLine(fd, size);
  if (tail === undefined) return undefined;
  const meta = parseMetaLine(head.text);
  const first = meta ? undefined : parseRecordLine(head.text);
  if (!meta && !first) return undefined;
  if (tail.offset === 0) return { meta, first, last: first };
  const last = parseRecordLine(tail.text);
  return last ? { meta, first, last } : undefined;
}

/** The first complete line, or `undefined` when there is none. */
function firstLine(fd: number, size: number): { text: string } | undefined {
  for (let want = PROBE_BYTES; ; want *= 2) {
    const length = Math.min(want, size);
    const data = Buffer.allocUnsafe(length);
    const bytesRead = readSync(fd, data, 0, length, 0);
    const nl = data.subarray(0, bytesRead).indexOf(NEWLINE);
    if (nl >= 0) return { text: data.toString('utf8', 0, nl) };
    if (length >= size) return undefined;
  }
}

/** The last complete line (a torn tail after it is ignored) and its offset. */
function lastLine(fd: number, size: number): { offset: number; text: string } | undefined {
  for (let want = PROBE_BYTES; ; want *= 2) {
    const length = Math.min(want, size);
    const data = Buffer.allocUnsafe(length);
    const bytesRead = readSync(fd, data, 0, length, size - length);
    if (bytesRead < length) return undefined;
    const end = data.lastIndexOf(NEWLINE);
    if (end < 0) {
      if (length >= size) return undefined;
      continue;
    }
    const before = end === 0 ? -1 : data.lastIndexOf(NEWLINE, end - 1);
    if (before >= 0 || length >= size) {
      return { offset: size - length + before + 1, text: data.toString('utf8', before + 1, end) };
    }
  }
}
