import { closeSync, fstatSync, openSync } from 'node:fs';
import type { IntegrityCollector } from '@history/core/backend';
import { parseFeedLine } from './feed-line.js';
import type { FeedRun } from './feed-runs.js';
import { readLinesForward } from './line-reader.js';

/** What the feed index says of one session. */
export interface SessionRuns {
  /** The seqs its runs cover, merged: `[lo, hi]` pairs in ascending order (one pair as a rule). */
  ranges: number[];
  /** First seq of its last run: every batch of the session before that one is fully written. */
  lastRunFirstSeq: number;
  /** Byte offset in the feed index of the run reaching the session's highest seq. */
  topOffset: number;
}

/** A run of the feed index and the byte offset of its line. */
export interface FeedIndexRun extends FeedRun {
  lineOffset: number;
}

/**
 * The feed index as a verification reads it: one pass over `feed.idx` (never held in memory:
 * per session only the seqs its runs cover, as ranges), reporting unreadable lines, positions
 * going back and seqs indexed twice. A torn or unreadable last line is a crash's leftover
 * (`torn-line`), or an append the root's writer is making when `writerActive`.
 */
export class FeedCoverage {
  readonly sessions = new Map<string, SessionRuns>();
  /** Bytes of complete, readable lines: what the other checks read of the file. */
  complete = 0;
  ino = -1;
  runs = 0;

  private constructor(readonly path: string) {}

  /** `undefined` when there is no feed index. */
  static async read(
    path: string,
    check: IntegrityCollector,
    writerActive: boolean,
  ): Promise<FeedCoverage | undefined> {
    const coverage = new FeedCoverage(path);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      const { size, ino } = fstatSync(fd);
      coverage.ino = ino;
      for await (const run of feedIndexRuns(path, fd, size, check, writerActive, coverage)) {
        coverage.add(run, check);
      }
    } finally {
      closeSync(fd);
    }
    return coverage;
  }

  /** The highest seq the session's runs cover, 0 when it has none. */
  lastSeqOf(sessionId: string): number {
    return this.sessions.get(sessionId)?.ranges.at(-1) ?? 0;
  }

  private add(run: FeedIndexRun, check: IntegrityCollector): void {
    this.runs++;
    const lo = run.firstSeq;
    const hi = run.firstSeq + run.count - 1;
    let session = this.sessions.get(run.sessionId);
    if (!session) {
      session = { ranges: [lo, hi], lastRunFirstSeq: lo, topOffset: run.lineOffset };
      this.sessions.set(run.sessionId, session);
      return;
    }
    session.lastRunFirstSeq = lo;
    const { ranges } = session;
    const top = ranges[ranges.length - 1]!;
    if (lo > top) {
      // The usual case: a session's runs follow one another in seq order.
      if (lo === top + 1) ranges[ranges.length - 1] = hi;
      else ranges.push(lo, hi);
      session.topOffset = run.lineOffset;
      return;
    }
    // Out of seq order: only a feed built from older layouts by commit time can do that.
    for (let i = 0; i < ranges.length; i += 2) {
      if (ranges[i]! <= hi && lo <= ranges[i + 1]!) {
        check.add({
          kind: 'index-mismatch',
          sessionId: run.sessionId,
          seq: Math.max(lo, ranges[i]!),
          location: `${this.path} byte ${run.lineOffset}`,
          message: `the run of seqs ${lo}..${hi} indexes seqs an earlier run of the session indexes already: the feed would yield them twice`,
        });
        return;
      }
    }
    if (hi > top) session.topOffset = run.lineOffset;
    ranges.push(lo, hi);
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
    pairs.sort((a, b) => a[0] - b[0]);
    ranges.length = 0;
    for (const [a, b] of pairs) {
      if (ranges.length > 0 && a === ranges[ranges.length - 1]! + 1) ranges[ranges.length - 1] = b;
      else ranges.push(a, b);
    }
  }
}

/**
 * The runs of the feed index's first `size` bytes, in file order, with problems reported on
 * the way: a line that does not parse followed by more lines (`index-mismatch`), one that
 * ends the file or bytes after the last newline (`torn-line`, unless the writer may be
 * appending), and positions that do not grow (`index-mismatch`, the run skipped). Sets
 * `coverage.complete` when given.
 */
export async function* feedIndexRuns(
  path: string,
  fd: number,
  size: number,
  check: IntegrityCollector | undefined,
  writerActive: boolean,
  coverage?: FeedCoverage,
): AsyncGenerator<FeedIndexRun> {
  let bad: number | undefined;
  let complete = 0;
  let end = 0;
  for await (const lines of readLinesForward(fd, 0, size)) {
    for (const { text, offset } of lines) {
      if (bad !== undefined) {
        check?.add({
          kind: 'index-mismatch',
          location: `${path} byte ${bad}`,
          message: 'a line of the feed index is neither a run nor a mark',
        });
        bad = undefined;
      }
      const line = parseFeedLine(text);
      if (!line) {
        bad = offset;
        continue;
      }
      complete = offset + Buffer.byteLength(text, 'utf8') + 1;
      if (!('run' in line)) continue;
      const { run } = line;
      if (run.position <= end) {
        check?.add({
          kind: 'index-mismatch',
          sessionId: run.sessionId,
          seq: run.firstSeq,
          location: `${path} byte ${offset}`,
          message: `the run's feed position ${run.position} is not after the previous run's last, ${end}`,
        });
        continue;
      }
      end = run.position + run.count - 1;
      yield { ...run, lineOffset: offset };
    }
  }
  if (coverage) coverage.complete = complete;
  if (writerActive || !check) return;
  if (bad !== undefined) {
    check.add({
      kind: 'torn-line',
      location: `${path} byte ${bad}`,
      message:
        'the last line of the feed index is unreadable: a crash left it; the next writable open reconciles the index',
    });
  } else if (complete < size) {
    check.add({
      kind: 'torn-line',
      location: `${path} byte ${complete}`,
      message: `the feed index ends with ${size - complete} bytes of an incomplete line: a crash left them; the next writable open reconciles the index`,
    });
  }
}
