import { fstatSync } from 'node:fs';
import { ClosedError, StorageError } from '@history/core';
import { inTimeRange, type NormalizedRange, type StoredRecord } from '@history/core/backend';
import { readLinesBackward, readTextForward } from './line-reader.js';
import type { ReadHandle, ReadHandles } from './read-handles.js';
import { parseRecordLine, parseRecordLineAt, type RecordLine } from './record-line.js';
import type { SessionFiles } from './session-files.js';
import { seekLineAtMost } from './session-index.js';

const PAGE_SIZE = 256;

/**
 * Streams a session's records page by page from its own read handle, never
 * holding more than a chunk and a page in memory: a page ends at 256 records
 * or before the record that would take it past `pageBytes` of JSON (which then
 * starts the next one). `committedSize` (known when
 * the writer holds the session's state) keeps readers off a batch still being
 * written and saves an `fstat`; otherwise the file size is used and a torn last
 * line is skipped. Opening is synchronous (a local `open` is cheaper than a
 * thread-pool round trip) and so is reading a session up to 1 MiB: a short
 * replay makes no trip through the thread pool at all. Returning early closes
 * the handle (the generator's `finally`). The handle is one of the store's
 * `handles`: a stream abandoned by its consumer (neither finished nor
 * returned) has it closed by the store's `close()`, and ends with
 * `ClosedError` if it is pulled again.
 */
export async function* readSessionPages(
  sessionId: string,
  files: SessionFiles,
  range: NormalizedRange,
  committedSize: number | undefined,
  handles: ReadHandles,
  pageBytes: number,
): AsyncGenerator<StoredRecord[]> {
  const handle = handles.openFile(files.data);
  if (!handle) return;
  try {
    const end = committedSize ?? fstatSync(handle.fd).size;
    const forward = range.direction === 'forward';
    const records = forward
      ? forwardRecords(handle, files, end, range.after ?? 0)
      : backwardRecords(handle, files, end, range.after);
    let left = range.limit ?? Number.POSITIVE_INFINITY;
    let page: StoredRecord[] = [];
    let bytes = 0;
    for await (const chunk of records) {
      for (const record of chunk) {
        if (
          range.after !== undefined &&
          (forward ? record.seq <= range.after : record.seq >= range.after)
        ) {
          continue;
        }
        if (!inTimeRange(record.at, range)) continue;
        if (page.length > 0 && bytes + record.json.length > pageBytes) {
          yield* handOver(handle, page);
          page = [];
          bytes = 0;
        }
        bytes += record.json.length;
        page.push({
          seq: record.seq,
          sessionId,
          id: record.id,
          json: record.json,
          createdAt: record.createdAt,
        });
        if (--left <= 0) break;
        if (page.length >= PAGE_SIZE) {
          yield* handOver(handle, page);
          page = [];
          bytes = 0;
        }
      }
      if (left <= 0) break;
    }
    if (page.length > 0) yield* handOver(handle, page);
  } finally {
    await handle.close();
  }
}

/** Yields a page unless the store closed the handle, before or while the consumer held it. */
async function* handOver(handle: ReadHandle, page: StoredRecord[]): AsyncGenerator<StoredRecord[]> {
  if (handle.closed) throw new ClosedError('stream');
  yield page;
  if (handle.closed) throw new ClosedError('stream');
}

/**
 * Records from the first one past `after`, starting at the nearest index
 * entry before it. Lines are decoded a chunk at a time into one string and
 * parsed in place: no string, no buffer per line.
 */
async function* forwardRecords(
  fd: ReadHandle,
  files: SessionFiles,
  end: number,
  after: number,
): AsyncGenerator<RecordLine[]> {
  const seek = seekLineAtMost(files.index, fd.fd, end, after + 1);
  // Seqs are contiguous, so the lines up to `after` are counted, not parsed.
  const skip = Math.max(0, after + 1 - seek.seq);
  for await (const { offset, text } of readTextForward(fd, seek.offset, end, skip)) {
    const records: RecordLine[] = [];
    for (let start = 0; start < text.length; ) {
      const nl = text.indexOf('\n', start);
      const record =
        parseRecordLineAt(text, start, nl) ??
        corrupt(files, offset + Buffer.byteLength(text.slice(0, start), 'utf8'));
      records.push(record);
      start = nl + 1;
    }
    yield records;
  }
}

/** Records before the one of seq `after` (all records without `after`), last first. */
async function* backwardRecords(
  fd: ReadHandle,
  files: SessionFiles,
  end: number,
  after: number | undefined,
): AsyncGenerator<RecordLine[]> {
  let stop = end;
  if (after !== undefined) {
    if (after <= 1) return;
    // Find where the line of seq `after` starts: everything before it is what we want.
    const seek = seekLineAtMost(files.index, fd.fd, end, after);
    const skip = Math.max(0, after - seek.seq);
    search: for await (const { offset, text } of readTextForward(fd, seek.offset, end, skip)) {
      for (let start = 0; start < text.length; ) {
        const nl = text.indexOf('\n', start);
        const lineOffset = () => offset + Buffer.byteLength(text.slice(0, start), 'utf8');
        const record = parseRecordLineAt(text, start, nl) ?? corrupt(files, lineOffset());
        if (record.seq >= after) {
          stop = lineOffset();
          break search;
        }
        start = nl + 1;
      }
    }
  }
  for await (const lines of readLinesBackward(fd, 0, stop)) {
    yield lines.map((line) => parseRecordLine(line.text) ?? corrupt(files, line.offset));
  }
}

function corrupt(files: SessionFiles, offset: number): never {
  throw new StorageError(`file: ${files.data} is corrupt: unreadable line at byte ${offset}`);
}
