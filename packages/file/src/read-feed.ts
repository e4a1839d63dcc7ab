import { read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { StorageError } from '@history/core';
import type { FeedPage, FeedPageRequest, StoredFeedEntry } from '@history/core/backend';
import type { FeedHandles, FeedLease } from './feed-handles.js';
import type { FeedRun, FeedRuns } from './feed-runs.js';
import { readSessionPages } from './file-reader.js';
import type { ReadHandle, ReadHandles } from './read-handles.js';
import { recordExpiry } from './record-expiry.js';
import { parseRecordLineAt, seqAt } from './record-line.js';
import { type SessionFiles, sessionFiles } from './session-files.js';

const readAt = promisify(read);
/** A run up to this size is read synchronously (a copy from the page cache). */
const SYNC_READ_BYTES = 1024 * 1024;
/** Runs looked at per page at most: a long stretch of deleted sessions' runs yields in turns. */
const MAX_RUNS_PER_PAGE = 10_000;

/** What reading the feed needs from the store. */
export interface FeedSource {
  root: string;
  runs: FeedRuns;
  /** Session files' handles, kept between pages. */
  feedHandles: FeedHandles;
  /** For the by-seq reads (through the session's reader). */
  readHandles: ReadHandles;
  /** The session's committed size when the writer holds its state (see readSessionPages). */
  committedSize(sessionId: string): number | undefined;
  pageBytes: number;
  legacy: boolean;
}

interface OpenSession {
  files: SessionFiles;
  /** `undefined`: the session has no file (deleted). */
  lease: FeedLease | undefined;
}

/**
 * A session's bytes `[start, end)` covering its runs in the window being read, read with one
 * read when its first run there is (a session file is append-only between rewrites, so its
 * runs in feed order lie one after another in it: one read serves them all instead of one
 * read, buffer and copy per run, which dominates when batches give a session few lines).
 */
interface Span {
  start: number;
  end: number;
  data?: Buffer;
  /** Bytes actually read: fewer than `end - start` when a rewrite made the file shorter. */
  read?: number;
}

/** A record of a run, ready for the feed (expired ones already left out). */
interface RunRecord {
  seq: number;
  id: string;
  json: string;
  createdAt: string;
}

/**
 * One page of the feed: the runs after `after`, each cut out of one read per session of the
 * bytes its runs in the page were written to (see `Span`); a run's place is checked: its
 * first line must be there, with its seq; a purge's rewrite or a delete moved it, and then
 * the run is found by seq through the session index. Positions of records that no longer
 * exist (deleted, purged) or are expired are passed over: the page's `position` goes past
 * them.
 */
export async function readFeedPage(
  source: FeedSource,
  { after, limit }: FeedPageRequest,
): Promise<FeedPage> {
  const { runs } = source;
  const afterPosition = after === undefined ? 0 : Number(after);
  const entries: StoredFeedEntry[] = [];
  let bytes = 0;
  /** Past the last entry, over positions not delivered. */
  let passed: number | undefined;
  const now = Date.now();
  /** Each session's files and read handle, borrowed once per page. */
  const handles = new Map<string, OpenSession>();
  try {
    const first = runs.after(afterPosition);
    const last = Math.min(runs.length, first + MAX_RUNS_PER_PAGE);
    let windowEnd = first;
    let spans = new Map<string, Span>();
    for (let i = first; i < last; i++) {
      if (i === windowEnd) {
        // The runs this page can still take, by count and by bytes (records skipped as
        // expired or purged can leave room: then another window follows).
        ({ end: windowEnd, spans } = planWindow(
          runs,
          i,
          last,
          limit - entries.length,
          source.pageBytes - bytes,
        ));
      }
      const run = runs.at(i);
      const fromSeq = run.firstSeq + Math.max(0, afterPosition + 1 - run.position);
      const records = runs.isDead(i)
        ? []
        : await readRun(source, run, fromSeq, handles, spans.get(run.sessionId), now);
      let lastPosition = 0;
      for (const record of records) {
        const full = entries.length >= limit;
        if (full || (entries.length > 0 && bytes + record.json.length > source.pageBytes)) {
          return page(entries, passed);
        }
        bytes += record.json.length;
        passed = undefined;
        lastPosition = run.position + record.seq - run.firstSeq;
        entries.push({
          position: String(lastPosition),
          seq: record.seq,
          sessionId: run.sessionId,
          id: record.id,
          json: record.json,
          createdAt: record.createdAt,
        });
      }
      // The run's records after the last one read do not exist (or expired): passed over.
      const runEnd = run.position + run.count - 1;
      if (lastPosition !== runEnd) passed = runEnd;
      if (entries.length >= limit) break;
    }
  } finally {
    for (const { lease } of handles.values()) lease?.release();
  }
  return page(entries, passed);
}

function page(entries: StoredFeedEntry[], passed: number | undefined): FeedPage {
  return passed === undefined ? { entries } : { entries, position: String(passed) };
}

/**
 * The window of runs from `from`: at least one, then as many as hold at most `records`
 * records and `bytes` bytes of lines (a page's worth, so the spans' memory is about the
 * page's), and per session the span of its runs there that follow one another in its file
 * from its first one. A run that does not follow (its session's file was rewritten in
 * between) is read alone.
 */
function planWindow(
  runs: FeedRuns,
  from: number,
  last: number,
  records: number,
  bytes: number,
): { end: number; spans: Map<string, Span> } {
  const spans = new Map<string, Span>();
  let count = 0;
  let size = 0;
  let i = from;
  for (; i < last && (i === from || (count < records && size < bytes)); i++) {
    const run = runs.at(i);
    count += run.count;
    size += run.bytes;
    if (run.bytes === 0 || runs.isDead(i)) continue;
    const span = spans.get(run.sessionId);
    if (!span) {
      // From the newline before the first run: each run's place is checked by it.
      spans.set(run.sessionId, { start: Math.max(0, run.offset - 1), end: run.offset + run.bytes });
    } else if (span.end === run.offset) {
      span.end += run.bytes;
    }
  }
  return { end: i, spans };
}

/** The live records of `run` from seq `fromSeq` on, in seq order. */
async function readRun(
  source: FeedSource,
  run: FeedRun,
  fromSeq: number,
  handles: Map<string, OpenSession>,
  span: Span | undefined,
  now: number,
): Promise<RunRecord[]> {
  let session = handles.get(run.sessionId);
  if (!session) {
    const files = sessionFiles(source.root, run.sessionId);
    session = { files, lease: source.feedHandles.borrow(run.sessionId, files.data) };
    handles.set(run.sessionId, session);
  }
  const { files, lease } = session;
  if (!lease) return [];
  const lastSeq = run.firstSeq + run.count - 1;
  const text = await readRunText(lease.handle, run, span);
  if (text === undefined) return readBySeq(source, run, files, fromSeq, lastSeq);
  const out: RunRecord[] = [];
  for (let start = 0; start < text.length; ) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break; // Past the run: a rewritten file is shorter.
    const record = parseRecordLineAt(text, start, nl);
    if (!record) throw new StorageError(`file: ${files.data} is corrupt near byte ${run.offset}`);
    start = nl + 1;
    if (record.seq > lastSeq) break;
    if (record.seq < fromSeq) continue;
    const expiry = recordExpiry(record, source.legacy);
    if (expiry !== undefined && expiry <= now) continue;
    out.push({ seq: record.seq, id: record.id, json: record.json, createdAt: record.createdAt });
  }
  return out;
}

/**
 * The bytes the run's batch wrote, when its first line is still where it was written (the
 * newline before it, and its seq); `undefined` when its place is unknown or moved. A file
 * rewritten by a purge keeps lines verbatim and in order, so if the run's first line is at
 * its old place, every line of the run still there follows it within the old bytes.
 */
async function readRunText(
  handle: ReadHandle,
  run: FeedRun,
  span: Span | undefined,
): Promise<string | undefined> {
  if (run.bytes === 0) return undefined;
  // The run's bytes with the newline before it (none at the file's start): cut out of its
  // session's span when they lie in it, else read alone.
  const start = run.offset === 0 ? 0 : run.offset - 1;
  const end = run.offset + run.bytes;
  const range: Span = span && span.start <= start && end <= span.end ? span : { start, end };
  if (!range.data) {
    range.data = Buffer.allocUnsafe(range.end - range.start);
    range.read = await readRange(handle, range.data, range.start);
  }
  const data = range.data;
  const at = start - range.start;
  const stop = Math.min(end - range.start, range.read!);
  const first = run.offset === 0 ? at : at + 1;
  if (first > at && (at >= stop || data[at] !== 0x0a)) return undefined;
  if (seqAt(data, first, stop) !== run.firstSeq) return undefined;
  return data.toString('utf8', first, stop);
}

/** Fills `data` from `position` on; the bytes read (fewer at the file's end). */
async function readRange(handle: ReadHandle, data: Buffer, position: number): Promise<number> {
  const length = data.length;
  return length <= SYNC_READ_BYTES
    ? readSync(handle.fd, data, 0, length, position)
    : await handle.read(async (fd) => (await readAt(fd, data, 0, length, position)).bytesRead);
}

/** The slow way: through the session's own reader, from the index entry before `fromSeq`. */
async function readBySeq(
  source: FeedSource,
  run: FeedRun,
  files: SessionFiles,
  fromSeq: number,
  lastSeq: number,
): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  const pages = readSessionPages(
    run.sessionId,
    files,
    { direction: 'forward', after: fromSeq - 1, limit: lastSeq - fromSeq + 1 },
    () => source.committedSize(run.sessionId),
    source.readHandles,
    Number.POSITIVE_INFINITY,
    source.legacy,
  );
  for await (const records of pages) {
    for (const record of records) {
      if (record.seq > lastSeq) return out;
      out.push(record);
    }
  }
  return out;
}
