import { closeSync, constants, fdatasync, openSync, renameSync, unlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { yieldIfDue } from '@history/core/backend';
import { fsyncDir } from './fs-sync.js';
import { readLinesForward } from './line-reader.js';
import { metaLine, parseMetaLine } from './meta-line.js';
import { parseRecordLine, type RecordLine } from './record-line.js';
import type { SessionFiles } from './session-files.js';
import { startsIndexBlock, syncIndexFile } from './session-index.js';
import type { SessionSummary } from './session-summary.js';
import { writeAllSync } from './write-all-sync.js';

const datasync = promisify(fdatasync);

/** Where a compaction is: a test kills the process at each step to check it is crash-safe. */
export type CompactionStep = 'written' | 'synced' | 'renamed';

/** What a compaction needs from the store, which serialises it with the session's writer. */
export interface CompactionContext {
  files: SessionFiles;
  /** `durability: 'fsync'`: lines appended during the copy are synced, and the rename, before appends go on. */
  durable: boolean;
  /** Whether to remove a record; `index` counts the session's records from its oldest. */
  drop(record: RecordLine, index: number, summary: SessionSummary): boolean;
  /** Most records to remove. */
  quota: number;
  /** Whether to read the file for records to remove at all (false: leave it, read nothing more). */
  worthIt(committed: Committed): Promise<boolean>;
  /** Told of each record kept (the purge's memory of what the file holds, see expiry-stats.ts). */
  kept(record: RecordLine): void;
  /**
   * Runs `task` with no batch writing to the session (on the writer's queue),
   * giving it the session's committed size and summary then.
   */
  exclusive<T>(task: (committed: Committed) => Promise<T> | T): Promise<T>;
  /** After the rename: the session's state must follow its new file (handle, size, lines, ids). */
  swapped(result: Compacted): void;
  onStep?(step: CompactionStep): void;
}

export interface Committed {
  /** Bytes of complete, committed lines. */
  size: number;
  summary: SessionSummary | undefined;
}

export interface Compacted {
  /** Ids of the records removed. */
  droppedIds: string[];
  size: number;
  lines: number;
}

export interface CompactionResult {
  dropped: number;
  /** The quota stopped it with records left to remove. */
  more: boolean;
  /**
   * Where, in the session's file as it now is, the records `kept` was told of end
   * (lines after it were appended since); `undefined` when the file was not read whole.
   */
  keptEnd?: number;
}

const WRITE_BYTES = 1024 * 1024;

/**
 * Longest stretch of a compaction's reading and copying before the event loop turns, in ms:
 * appends wait behind it. A 1,000-event session's file took 4-5 ms to plan and copy in one
 * stretch, which put append p99 beside a purge at 6.7 ms against 0.33 ms idle (bench README).
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
 * rebuilt and the directory fsynced. The copy and its sync run beside the
 * writer, from the size committed when it started; only the end (lines appended
 * since, the rename and the index, and under 'fsync' durability their syncs)
 * holds the session's writer, so appends wait for a short step, not the copy. A crash before the rename
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
  const plan = await planDrops(files, start.size, start.summary, context);
  if (!plan) return none;
  if (plan.dropped.size === 0) return { ...none, keptEnd: plan.end };
  // Lines after the last good one (a crash's torn or garbage tail) are not copied.
  const copied = plan.end;

  const temp = openSync(
    files.compactTemp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
    0o644,
  );
  const out = new TempWriter(temp);
  let keptEnd = 0;
  try {
    out.line(
      metaLine({
        lastSeq: start.summary.lastSeq,
        count: start.summary.eventCount - plan.dropped.size,
        createdAt: start.summary.createdAt,
        updatedAt: start.summary.updatedAt,
      }),
    );
    await copyLines(files, 0, copied, out, (record) => !plan.dropped.has(record.seq));
    out.flush();
    keptEnd = out.size;
    // Whatever the durability: a power loss must never leave the old file replaced by an
    // incomplete one. Synced before the writer is held: appends go on meanwhile.
    await datasync(temp);
    context.onStep?.('written');
    await context.exclusive(async (committed) => {
      // Lines appended while the copy ran: all kept, they are newer than the plan.
      await copyLines(files, copied, committed.size, out, () => true);
      const tail = out.flush();
      // Under 'os' durability they were promised to the OS only: a torn tail is cut on load.
      if (tail && context.durable) await datasync(temp);
      context.onStep?.('synced');
      renameSync(files.compactTemp, files.data);
      // The file is replaced: the writer's state and handle follow it before anything can fail.
      context.swapped({ droppedIds: plan.droppedIds, size: out.size, lines: out.lines });
      // Entries of the old file would still be safe (see session-index.ts), only slower.
      if (out.blockOffsets.length > 1) syncIndexFile(files.index, out.blockOffsets);
      else removeQuietly(files.index);
      context.onStep?.('renamed');
      // Under 'fsync', appends acknowledged from now on go to the new file: its name must last.
      if (context.durable) await fsyncDir(files.dir);
    });
    if (!context.durable) await fsyncDir(files.dir);
  } catch (error) {
    removeQuietly(files.compactTemp);
    throw error;
  } finally {
    closeSync(temp);
  }
  return { dropped: plan.dropped.size, more: plan.more, keptEnd };
}

interface Plan {
  /** End of the last good line read. */
  end: number;
  /** Seqs of the records to remove. */
  dropped: Set<number>;
  droppedIds: string[];
  more: boolean;
}

/**
 * Reads the file once to pick the records to remove, or `undefined` when a line
 * other than the last is unreadable (corruption: left for the writer to report).
 * An unreadable last line is a crash's garbage tail, which the writer cuts too.
 */
async function planDrops(
  files: SessionFiles,
  size: number,
  summary: SessionSummary,
  context: CompactionContext,
): Promise<Plan | undefined> {
  const plan: Plan = { end: 0, dropped: new Set(), droppedIds: [], more: false };
  const fd = openSync(files.data, 'r');
  try {
    let index = 0;
    let bad = false;
    let read = 0;
    for await (const lines of readLinesForward(fd, 0, size)) {
      for (const line of lines) {
        if (bad) return undefined;
        const turn = turnIfDue(++read);
        if (turn) await turn;
        const end = line.offset + Buffer.byteLength(line.text, 'utf8') + 1;
        if (line.offset === 0 && parseMetaLine(line.text)) {
          plan.end = end;
          continue;
        }
        const record = parseRecordLine(line.text);
        if (!record) {
          bad = true;
          continue;
        }
        plan.end = end;
        if (!context.drop(record, index++, summary)) {
          context.kept(record);
          continue;
        }
        if (plan.dropped.size >= context.quota) {
          plan.more = true;
          context.kept(record);
        } else {
          plan.dropped.add(record.seq);
          plan.droppedIds.push(record.id);
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return plan;
}

/** Appends the record lines of `[start, end)` of the data file that `keep` accepts. */
async function copyLines(
  files: SessionFiles,
  start: number,
  end: number,
  out: TempWriter,
  keep: (record: RecordLine) => boolean,
): Promise<void> {
  if (end <= start) return;
  const fd = openSync(files.data, 'r');
  let read = 0;
  try {
    for await (const lines of readLinesForward(fd, start, end)) {
      for (const line of lines) {
        const turn = turnIfDue(++read);
        if (turn) await turn;
        if (line.offset === 0 && parseMetaLine(line.text)) continue;
        const record = parseRecordLine(line.text);
        // The plan read every line before `start`; lines after it were written by this store.
        if (record && keep(record)) out.line(`${line.text}\n`);
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Buffered writes to the temp file, counting lines and bytes for the index. */
class TempWriter {
  size = 0;
  lines = 0;
  readonly blockOffsets: number[] = [];
  private parts: string[] = [];
  private buffered = 0;

  constructor(private readonly fd: number) {}

  line(text: string): void {
    if (startsIndexBlock(this.lines)) this.blockOffsets.push(this.size + this.buffered);
    this.lines++;
    const bytes = Buffer.byteLength(text, 'utf8');
    this.parts.push(text);
    this.buffered += bytes;
    if (this.buffered >= WRITE_BYTES) this.flush();
  }

  /** Writes what is buffered; true when there was something. */
  flush(): boolean {
    if (this.buffered === 0) return false;
    const buffer = Buffer.from(this.parts.join(''), 'utf8');
    writeAllSync(this.fd, buffer, this.size);
    this.size += buffer.length;
    this.parts = [];
    this.buffered = 0;
    return true;
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (the usual case for an index), or it stays until the next compaction.
  }
}
