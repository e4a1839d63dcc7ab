import { fstatSync } from 'node:fs';
import { ClosedError, StorageError } from '@history/core';
import { inTimeRange, type NormalizedRange, type StoredRecord } from '@history/core/backend';
import { readLinesBackward, readTextForward, type SkipWhile } from './line-reader.js';
import { isMetaLine } from './meta-line.js';
import type { ReadHandle, ReadHandles } from './read-handles.js';
import { recordExpiry } from './record-expiry.js';
import { parseRecordLine, parseRecordLineAt, type RecordLine, seqAt } from './record-line.js';
import type { SessionFiles } from './session-files.js';
import { seekLineAtMost } from './session-index.js';

const PAGE_SIZE = 256;

/**
 * Streams a session's records page by page from its own read handle, never
 * holding more than a chunk and a page in memory: a page ends at 256 records
 * or before the record that would take it past `pageBytes` of JSON (which then
 * starts the next one). Records expired when their page is read are skipped.
 * `committedSize` (known when the writer holds the session's state, asked for
 * right after the file is opened: a compaction may replace the file) keeps
 * readers off a batch still being written and saves an `fstat`; otherwise the
 * file size is used and a torn last line is skipped. Opening is synchronous (a local `open` is cheaper than a
 * thread-pool round trip) and so is reading a session up to 1 MiB: a short
 * replay makes no trip through the thread pool at all. Returning early closes
 * the handle (the generator's `finally`). The handle is one of the store's
 * `handles`: a stream abandoned by its consumer (neither finished nor
 * returned) has it closed by the store's `close()`, and ends with
 * `ClosedError` if it is pulled again. `lastSeq` (a read-only store's, from the feed index)
 * is the last committed seq: lines after it (a batch the writer has not committed, or will
 * cut) are never read into a page.
 */
export async function* readSessionPages(
  sessionId: string,
  files: SessionFiles,
  range: NormalizedRange,
  committedSize: () => number | undefined,
  handles: ReadHandles,
  pageBytes: number,
  legacy: boolean,
  lastSeq = Number.POSITIVE_INFINITY,
): AsyncGenerator<StoredRecord[]> {
  const handle = handles.openFile(files.data);
  if (!handle) return;
  try {
    const end = committedSize() ?? fstatSync(handle.fd).size;
    const forward = range.direction === 'forward';
    // Backward, the read starts below the first uncommitted line, found like an `after`.
    const before = Math.min(range.after ?? Number.POSITIVE_INFINITY, lastSeq + 1);
    const records = forward
      ? forwardRecords(handle, files, end, range.after ?? 0, lastSeq)
      : backwardRecords(
          handle,
          files,
          end,
          before === Number.POSITIVE_INFINITY ? undefined : before,
        );
    let left = range.limit ?? Number.POSITIVE_INFINITY;
    let page: StoredRecord[] = [];
    let bytes = 0;
    // Read once per page, as the contract asks: a page is consistent in what it skips.
    let now = Date.now();
    for await (const chunk of records) {
      for (const record of chunk) {
        if (
          range.after !== undefined &&
          (forward ? record.seq <= range.after : record.seq >= range.after)
        ) {
          continue;
        }
        if (!inTimeRange(record.at, range)) continue;
        const expiry = recordExpiry(record, legacy);
        if (expiry !== undefined && expiry <= now) continue;
        if (page.length > 0 && bytes + record.json.length > pageBytes) {
          yield* handOver(handle, page);
          page = [];
          bytes = 0;
          now = Date.now();
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
          now = Date.now();
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
 * Steps over the lines before the first record of seq `from` or more (a meta
 * line too) reading only their first bytes: seqs grow along the file.
 */
function skipBefore(from: number): SkipWhile {
  return (data, at, length) => {
    const seq = seqAt(data, at, length);
    return seq === undefined || seq < from;
  };
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
  lastSeq: number,
): AsyncGenerator<RecordLine[]> {
  const start = seekLineAtMost(files.index, fd.fd, end, after + 1);
  for await (const { offset, text } of readTextForward(fd, start, end, skipBefore(after + 1))) {
    const records: RecordLine[] = [];
    for (let start = 0; start < text.length; ) {
      const nl = text.indexOf('\n', start);
      const record =
        parseRecordLineAt(text, start, nl) ??
        corrupt(files, offset + Buffer.byteLength(text.slice(0, start), 'utf8'));
      // Seqs grow along the file: from the first uncommitted line on, nothing is committed.
      if (record.seq > lastSeq) {
        if (records.length > 0) yield records;
        return;
      }
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
    // Find where the first line of seq `after` or more starts: everything before it is what we want.
    const start = seekLineAtMost(files.index, fd.fd, end, after);
    const lines = readTextForward(fd, start, end, skipBefore(after));
    search: for await (const { offset, text } of lines) {
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
    const records: RecordLine[] = [];
    for (const line of lines) {
      if (line.offset === 0 && isMetaLine(line.text)) continue;
      records.push(parseRecordLine(line.text) ?? corrupt(files, line.offset));
    }
    yield records;
  }
}

function corrupt(files: SessionFiles, offset: number): never {
  throw new StorageError(`file: ${files.data} is corrupt: unreadable line at byte ${offset}`);
}
