import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type FeedCoverage, type FeedIndexRun, feedIndexRuns } from './feed-coverage.js';
import { seqAt } from './record-line.js';
import { sessionFiles } from './session-files.js';
import type { SessionFacts, VerifyContext } from './verify-session.js';

/** Runs checked per window: each window's runs are grouped by session, one open per session. */
const WINDOW_RUNS = 65_536;
/** Bytes read around the probed offsets at a time (a session's runs are probed in file order). */
const CHUNK_BYTES = 64 * 1024;
/** Enough bytes for the newline before a line and `{"seq":<16 digits>,`. */
const PROBE_BYTES = 32;

/**
 * Checks where the feed index says each run's lines are, in session files never rewritten
 * by a purge (a rewrite moves lines, and reads then find a run by seq: its offsets are hints
 * only there): the run's first line must start at its offset with its first seq, and its
 * bytes must end within the file, unless the run ends at the file's last seq (crash
 * recovery cuts a run whose last lines were lost, keeping its byte count). Reads the index
 * a second time, up to where the first pass stopped; runs of an earlier life of a session
 * (before a delete) point into a file that is gone and are not checked.
 */
export async function verifyFeedOffsets(ctx: VerifyContext, feed: FeedCoverage): Promise<void> {
  if (feed.runs === 0 || ctx.facts.size === 0) return;
  let fd: number;
  try {
    fd = openSync(feed.path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    // Rewritten since the first pass (the writer dropped deleted sessions' runs): not the
    // index the coverage was read from.
    if (fstatSync(fd).ino !== feed.ino) return;
    let window = new Map<string, FeedIndexRun[]>();
    let count = 0;
    for await (const run of feedIndexRuns(feed.path, fd, feed.complete, undefined, true)) {
      if (run.bytes === 0 || !ctx.facts.has(run.sessionId)) continue;
      const runs = window.get(run.sessionId);
      if (runs) runs.push(run);
      else window.set(run.sessionId, [run]);
      if (++count < WINDOW_RUNS) continue;
      await checkWindow(ctx, feed, window);
      window = new Map();
      count = 0;
    }
    await checkWindow(ctx, feed, window);
  } finally {
    closeSync(fd);
  }
}

async function checkWindow(
  ctx: VerifyContext,
  feed: FeedCoverage,
  window: Map<string, FeedIndexRun[]>,
): Promise<void> {
  for (const [sessionId, runs] of window) {
    const facts = ctx.facts.get(sessionId)!;
    let fd: number;
    try {
      fd = openSync(sessionFiles(ctx.root, sessionId).data, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    try {
      // Replaced since it was read (a purge, a delete): the runs point into the old file.
      if (fstatSync(fd).ino !== facts.ino) continue;
      const probe = new LineProbe(fd, facts.size);
      for (const run of runs) checkRun(ctx, feed, sessionId, facts, probe, run);
    } finally {
      closeSync(fd);
    }
    await ctx.check.pause();
  }
}

function checkRun(
  ctx: VerifyContext,
  feed: FeedCoverage,
  sessionId: string,
  facts: SessionFacts,
  probe: LineProbe,
  run: FeedIndexRun,
): void {
  const lastSeq = run.firstSeq + run.count - 1;
  // An earlier life's run, or one the writer added after the file was read.
  if (lastSeq < facts.firstSeq || run.firstSeq > facts.lastSeq) return;
  const end = run.offset + run.bytes;
  let message: string | undefined;
  if (probe.seqOfLineAt(run.offset) !== run.firstSeq) {
    message = `the run of seqs ${run.firstSeq}..${lastSeq} points at byte ${run.offset} of ${sessionFiles(ctx.root, sessionId).data}, where no line of seq ${run.firstSeq} starts`;
  } else if (end > facts.size && lastSeq !== facts.lastSeq) {
    message = `the run of seqs ${run.firstSeq}..${lastSeq} ends at byte ${end}, past the end of the session file (${facts.size} bytes)`;
  }
  if (message) {
    ctx.check.add({
      kind: 'index-mismatch',
      sessionId,
      seq: run.firstSeq,
      location: `${feed.path} byte ${run.lineOffset}`,
      message,
    });
  }
}

/** Reads the seq of the line starting at an offset, through a chunk of the file kept between probes. */
class LineProbe {
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private start = 0;
  private length = 0;

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {}

  /** The seq of the record line starting at `offset` (just after a newline, or at 0), if one does. */
  seqOfLineAt(offset: number): number | undefined {
    if (!Number.isSafeInteger(offset) || offset >= this.size) return undefined;
    const from = Math.max(0, offset - 1);
    const to = Math.min(this.size, offset + PROBE_BYTES);
    if (from < this.start || to > this.start + this.length) {
      this.start = from;
      this.length = readSync(this.fd, this.chunk, 0, Math.min(CHUNK_BYTES, this.size - from), from);
    }
    const at = offset - this.start;
    if (offset > 0 && this.chunk[at - 1] !== 0x0a) return undefined;
    return seqAt(this.chunk, at, this.length);
  }
}
