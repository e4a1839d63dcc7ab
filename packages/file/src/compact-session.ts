import { close, closeSync, constants, fdatasync, openSync, renameSync, unlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { yieldIfDue } from '@history/core/backend';
import { type CopyResult, type CopyTask, copyLines } from './copy-kept.js';
import type { ExpiryStats } from './expiry-stats.js';
import { fsyncDir } from './fs-sync.js';
import type { SessionFiles } from './session-files.js';
import { syncIndexFile } from './session-index.js';
import type { SessionSummary } from './session-summary.js';
import { TempWriter } from './temp-writer.js';

const datasync = promisify(fdatasync);

/** Where a compaction is: a test kills the process at each step to check it is crash-safe. */
export type CompactionStep = 'written' | 'forgotten' | 'synced' | 'renamed';

/** What a compaction needs from the store, which serialises it with the session's writer. */
export interface CompactionContext {
  files: SessionFiles;
  /** `durability: 'fsync'`: lines appended during the copy are synced, and the rename, before appends go on. */
  durable: boolean;
  /** Which records to remove (see purge-rule.ts). */
  rule: CopyTask['rule'];
  /** Upgraded from layout 1 (see record-expiry.ts). */
  legacy: boolean;
  /** Most records to remove. */
  quota: number;
  /** Whether to read the file for records to remove at all (false: leave it, read nothing more). */
  worthIt(committed: Committed): Promise<boolean>;
  /** Runs the copy step (copy-kept.ts), on a worker thread (compact-thread.ts). */
  copy(task: CopyTask): Promise<CopyResult>;
  /**
   * Runs `task` with no batch writing to the session (batches of other sessions go on),
   * giving it the session's committed size and summary then.
   */
  exclusive<T>(task: (committed: Committed) => Promise<T> | T): Promise<T>;
  /**
   * The records to remove are chosen, the others copied: the writer forgets their ids now,
   * before the rename, so that the step holding the writer does not (see session-purger.ts).
   */
  forget(ids: readonly string[]): Promise<void>;
  /** The compaction failed after `forget`: what the writer holds of the session no longer holds. */
  failed(): void;
  /** After the rename: the session's state must follow its new file (handle, size, lines). */
  swapped(result: Compacted): void;
  /** Tests observe each step; a promise returned holds the compaction there until it settles. */
  onStep?(step: CompactionStep): void | Promise<void>;
}

export interface Committed {
  /** Bytes of complete, committed lines. */
  size: number;
  summary: SessionSummary | undefined;
}

export interface Compacted {
  /** Records removed. */
  dropped: number;
  size: number;
  lines: number;
}

export interface CompactionResult {
  dropped: number;
  /** The quota stopped it with records left to remove. */
  more: boolean;
  /**
   * Where, in the session's file as it now is, the records `kept` describes end
   * (lines after it were appended since); `undefined` when the file was not read whole.
   */
  keptEnd?: number;
  /** Expiry and `occurredAt` of the records kept, up to `keptEnd` (see expiry-stats.ts). */
  kept?: ExpiryStats;
}

/**
 * Longest stretch of copying the lines appended during a compaction before the event loop
 * turns, in ms: appends wait behind it (the bulk of the copy runs on a worker thread).
 */
const COMPACT_TURN_MS = 0.5;
/** Lines read between two looks at the clock. */
const LINES_PER_LOOK = 32;

/** A turn of the event loop to await once the compaction has held it for `COMPACT_TURN_MS`. */
function turnIfDue(lines: number): Promise<void> | undefined {
  return lines % LINES_PER_LOOK === 0 ? yieldIfDue(COMPACT_TURN_MS) : undefined;
}

/**
 * Removes records from a session file by atomic rewrite: the records kept are
 * copied to a temp file (after a meta line that keeps the session's last seq,
 * count and times), which is fsynced and renamed over the data file, the index
 * rebuilt and the directory fsynced. The copy and its sync (copy-kept.ts) run
 * on the store's compaction thread, beside the writer, from the size committed
 * when it started; only the end (lines appended since, the rename and the index,
 * and under 'fsync' durability their syncs) holds the session's writer, so
 * appends wait for a short step, not the copy. A crash before the rename
 * leaves the data file whole (and a temp file, removed when the session is next
 * touched); after it, the new file is complete: a record is either kept whole
 * or gone, and no removed record can come back. Nothing is written when no
 * record is to be removed (one read of the file decides, unless `worthIt` says
 * from what it remembers that none is). A file with an unreadable line is left
 * alone (the writer reports it when it loads it).
 */
export async function compactSession(context: CompactionContext): Promise<CompactionResult> {
  const { files } = context;
  const start = await context.exclusive((committed) => committed);
  const none = { dropped: 0, more: false };
  if (!start.summary || start.size === 0 || !(await context.worthIt(start))) return none;
  let copy: CopyResult;
  try {
    copy = await context.copy({
      data: files.data,
      temp: files.compactTemp,
      size: start.size,
      summary: start.summary,
      rule: context.rule,
      legacy: context.legacy,
      quota: context.quota,
    });
  } catch (error) {
    removeQuietly(files.compactTemp);
    throw error;
  }
  if (!copy.readable) return none;
  const { end: copied, droppedIds, more, kept } = copy;
  if (!copy.temp) return { ...none, keptEnd: copied, kept };
  await context.onStep?.('written');
  const temp = openSync(files.compactTemp, constants.O_WRONLY);
  const out = new TempWriter(temp, copy.temp);
  const keptEnd = out.size;
  try {
    await context.forget(droppedIds);
    await context.onStep?.('forgotten');
    await context.exclusive(async (committed) => {
      // Open until the writer's handle is closed: the old file's blocks are freed when its
      // last descriptor closes, which this one does off the event loop.
      const old = openSync(files.data, 'r');
      try {
        // Lines appended while the copy ran: all kept, they are newer than the plan.
        await copyTail(old, copied, committed.size, out);
        const tail = out.flush();
        // Under 'os' durability they were promised to the OS only: a torn tail is cut on load.
        if (tail && context.durable) await datasync(temp);
        await context.onStep?.('synced');
        renameSync(files.compactTemp, files.data);
        // The file is replaced: the writer's state and handle follow it before anything can fail.
        context.swapped({ dropped: droppedIds.length, size: out.size, lines: out.lines });
      } finally {
        close(old, () => {});
      }
      // Entries of the old file would still be safe (see session-index.ts), only slower.
      if (out.blockOffsets.length > 1) syncIndexFile(files.index, out.blockOffsets);
      else removeQuietly(files.index);
      await context.onStep?.('renamed');
      // Under 'fsync', appends acknowledged from now on go to the new file: its name must last.
      if (context.durable) await fsyncDir(files.dir);
    });
    if (!context.durable) await fsyncDir(files.dir);
  } catch (error) {
    removeQuietly(files.compactTemp);
    context.failed();
    throw error;
  } finally {
    closeSync(temp);
  }
  return { dropped: droppedIds.length, more, keptEnd, kept };
}

/** Copies the lines appended to the data file (open as `fd`) since the copy step read it (all kept). */
async function copyTail(fd: number, start: number, end: number, out: TempWriter) {
  if (end <= start) return;
  // The copy step read every line before `start`; lines after it were written by this store.
  await copyLines(fd, start, end, out, () => true, turnIfDue);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (the usual case for an index), or it stays until the next compaction.
  }
}
