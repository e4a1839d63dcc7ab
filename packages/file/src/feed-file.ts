import {
  closeSync,
  constants,
  fdatasync,
  fstatSync,
  openSync,
  renameSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { markLine, runLine } from './feed-line.js';
import { feedLines } from './feed-lines.js';
import type { FeedRun } from './feed-runs.js';
import { FeedRuns } from './feed-runs.js';
import { fsyncDir } from './fs-sync.js';
import { writeAllSync } from './write-all-sync.js';

const datasync = promisify(fdatasync);

/** The feed index, at the root beside the layout marker (see feed-line.ts for its lines). */
export const FEED_FILE = 'feed.idx';
const WRITE_BYTES = 1024 * 1024;

export function feedPath(root: string): string {
  return join(root, FEED_FILE);
}

/** What a read of the feed index file found. */
export interface LoadedFeed {
  runs: FeedRuns;
  /** The next position to hand out: past every run and every mark's `next`. */
  next: number;
  /** The last line is a mark: the store that wrote it closed cleanly (or rewrote it). */
  clean: boolean;
}

/**
 * Reads the feed index file whole into memory, or `undefined` when there is none. A torn or
 * unreadable last line (a crash mid-append) is left out and makes the file unclean; an
 * unreadable line followed by good ones is corruption, reported, never skipped.
 */
export async function loadFeedFile(path: string): Promise<LoadedFeed | undefined> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const runs = new FeedRuns();
  let next = 1;
  let clean = false;
  try {
    const { size } = fstatSync(fd);
    let complete = 0;
    for await (const { line, end } of feedLines(path, fd, 0, size, runs)) {
      // Clean while the last line is a mark.
      clean = 'next' in line;
      next = Math.max(next, 'next' in line ? line.next : runs.end + 1);
      complete = end;
    }
    // Bytes after the last good line: a torn append.
    if (complete < size) clean = false;
  } finally {
    closeSync(fd);
  }
  return { runs, next, clean };
}

/**
 * Replaces the feed index file atomically by `runs` and a closing mark: written to a temp
 * file, fsynced whatever the durability (a power loss must never leave it replaced by an
 * incomplete one), renamed over it, the directory fsynced under `durable`.
 */
export async function writeFeedFile(
  path: string,
  runs: Iterable<FeedRun>,
  next: number,
  durable: boolean,
): Promise<void> {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  try {
    let parts: string[] = [];
    let buffered = 0;
    let size = 0;
    const flush = () => {
      const buffer = Buffer.from(parts.join(''), 'utf8');
      writeAllSync(fd, buffer, size);
      size += buffer.length;
      parts = [];
      buffered = 0;
    };
    for (const run of runs) {
      const line = runLine(run);
      parts.push(line);
      buffered += line.length;
      if (buffered >= WRITE_BYTES) flush();
    }
    parts.push(markLine(next));
    flush();
    await datasync(fd);
  } catch (error) {
    closeSync(fd);
    removeQuietly(temp);
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
  if (durable) await fsyncDir(dirname(path));
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already: the next rewrite truncates it anyway.
  }
}
