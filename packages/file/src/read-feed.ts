import { read, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { StorageError } from '@history/core';
import type { FeedPage, FeedPageRequest, StoredFeedEntry } from '@history/core/backend';
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
  readHandles: ReadHandles;
  /** The session's committed size when the writer holds its state (see readSessionPages). */
  committedSize(sessionId: string): number | undefined;
  pageBytes: number;
  legacy: boolean;
}

interface OpenSession {
  files: SessionFiles;
  /** `undefined`: the session has no file (deleted). */
  handle: ReadHandle | undefined;
}

/** A record of a run, ready for the feed (expired ones already left out). */
interface RunRecord {
  seq: number;
  id: string;
  json: string;
  createdAt: string;
}

/**
 * One page of the feed: the runs after `after`, each read from its session file with one
 * read of the bytes the run's batch wrote (a run's place is checked: its first line must
 * be there, with its seq; a purge's rewrite or a delete moved it, and then the run is found
 * by seq through the session index). Positions of records that no longer exist (deleted,
 * purged) or are expired are passed over: the page's `position` goes past them.
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
  /** Each session's files and read handle, opened once per page. */
  const handles = new Map<string, OpenSession>();
  try {
    const first = runs.after(afterPosition);
    for (let i = first; i < runs.length && i - first < MAX_RUNS_PER_PAGE; i++) {
      const run = runs.at(i);
      const fromSeq = run.firstSeq + Math.max(0, afterPosition + 1 - run.position);
      const records = runs.isDead(i) ? [] : await readRun(source, run, fromSeq, handles, now);
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
    for (const { handle } of handles.values()) await handle?.close();
  }
  return page(entries, passed);
}

function page(entries: StoredFeedEntry[], passed: number | undefined): FeedPage {
  return passed === undefined ? { entries } : { entries, position: String(passed) };
}

/** The live records of `run` from seq `fromSeq` on, in seq order. */
async function readRun(
  source: FeedSource,
  run: FeedRun,
  fromSeq: number,
  handles: Map<string, OpenSession>,
  now: number,
): Promise<RunRecord[]> {
  let session = handles.get(run.sessionId);
  if (!session) {
    const files = sessionFiles(source.root, run.sessionId);
    session = { files, handle: source.readHandles.openFile(files.data) };
    handles.set(run.sessionId, session);
  }
  const { files, handle } = session;
  if (!handle) return [];
  const lastSeq = run.firstSeq + run.count - 1;
  const text = await readRunText(handle, run);
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
async function readRunText(handle: ReadHandle, run: FeedRun): Promise<string | undefined> {
  if (run.bytes === 0) return undefined;
  const start = run.offset === 0 ? 0 : run.offset - 1;
  const length = run.offset + run.bytes - start;
  const data = Buffer.allocUnsafe(length);
  const bytesRead =
    length <= SYNC_READ_BYTES
      ? readSync(handle.fd, data, 0, length, start)
      : await handle.read(async (fd) => (await readAt(fd, data, 0, length, start)).bytesRead);
  const from = run.offset === 0 ? 0 : 1;
  if (from === 1 && data[0] !== 0x0a) return undefined;
  if (seqAt(data, from, bytesRead) !== run.firstSeq) return undefined;
  return data.toString('utf8', from, bytesRead);
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
