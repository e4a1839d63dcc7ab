import { type FileHandle, open } from 'node:fs/promises';
import { inTimeRange, type NormalizedRange, StorageError, type StoredRecord } from '@history/core';
import { type Line, readLinesBackward, readLinesForward } from './line-reader.js';
import { parseRecordLine, type RecordLine } from './record-line.js';
import type { SessionFiles } from './session-files.js';
import { seekLineAtMost } from './session-index.js';

const PAGE_SIZE = 256;

/**
 * Streams a session's records page by page from its own read handle, never
 * holding more than a chunk and a page in memory. `committedSize` (known when
 * the session is open for appending) keeps readers off a batch still being
 * written; otherwise the file size is used and a torn last line is skipped.
 * Returning early closes the handle (the generator's `finally`).
 */
export async function* readSessionPages(
  sessionId: string,
  files: SessionFiles,
  range: NormalizedRange,
  committedSize: number | undefined,
): AsyncGenerator<StoredRecord[]> {
  let fd: FileHandle;
  try {
    fd = await open(files.data, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const end = committedSize ?? (await fd.stat()).size;
    const forward = range.direction === 'forward';
    const lines = forward
      ? await forwardLines(fd, files, end, range.after ?? 0)
      : await backwardLines(fd, files, end, range.after);
    let left = range.limit ?? Number.POSITIVE_INFINITY;
    let page: StoredRecord[] = [];
    for await (const chunk of lines) {
      for (const line of chunk) {
        const record = parse(line, files);
        if (
          range.after !== undefined &&
          (forward ? record.seq <= range.after : record.seq >= range.after)
        ) {
          continue;
        }
        if (!inTimeRange(record.at, range)) continue;
        page.push({
          seq: record.seq,
          sessionId,
          id: record.id,
          json: record.json,
          createdAt: record.createdAt,
        });
        if (--left <= 0) break;
        if (page.length >= PAGE_SIZE) {
          yield page;
          page = [];
        }
      }
      if (left <= 0) break;
    }
    if (page.length > 0) yield page;
  } finally {
    await fd.close();
  }
}

/** Lines from the first one past `after`, starting at the nearest index entry before it. */
async function forwardLines(
  fd: FileHandle,
  files: SessionFiles,
  end: number,
  after: number,
): Promise<AsyncIterable<Line[]>> {
  const seek = await seekLineAtMost(files.index, fd, end, after + 1);
  // Seqs are contiguous, so the lines up to `after` are counted, not parsed.
  return readLinesForward(fd, seek.offset, end, Math.max(0, after + 1 - seek.seq));
}

/** Lines before the one of seq `after` (all lines without `after`), last first. */
async function backwardLines(
  fd: FileHandle,
  files: SessionFiles,
  end: number,
  after: number | undefined,
): Promise<AsyncIterable<Line[]>> {
  if (after === undefined) return readLinesBackward(fd, 0, end);
  if (after <= 1) return emptyLines();
  // Find where the line of seq `after` starts: everything before it is what we want.
  const seek = await seekLineAtMost(files.index, fd, end, after);
  let stop = end;
  search: for await (const chunk of readLinesForward(fd, seek.offset, end, after - seek.seq)) {
    for (const line of chunk) {
      if (parse(line, files).seq >= after) {
        stop = line.offset;
        break search;
      }
    }
  }
  return readLinesBackward(fd, 0, stop);
}

async function* emptyLines(): AsyncGenerator<Line[]> {}

function parse(line: Line, files: SessionFiles): RecordLine {
  const record = parseRecordLine(line.text);
  if (!record) {
    throw new StorageError(
      `file: ${files.data} is corrupt: unreadable line at byte ${line.offset}`,
    );
  }
  return record;
}
