import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import type { IntegrityProblem } from '@history/core';
import {
  type DuplicateIds,
  type IntegrityCollector,
  idHash,
  inspectStoredEnvelope,
} from '@history/core/backend';
import { readCheckpointFile } from './checkpoint-file.js';
import type { FeedCoverage } from './feed-coverage.js';
import { type Line, readLinesForward } from './line-reader.js';
import { parseMetaLine, type SessionMeta } from './meta-line.js';
import { parseRecordLine, type RecordLine } from './record-line.js';
import { type SessionFiles, sessionFiles } from './session-files.js';
import { INDEX_INTERVAL, startsIndexBlock } from './session-index.js';
import { readTombstone } from './tombstone.js';

/** What the feed offsets check needs of a session file read whole, never rewritten by a purge. */
export interface SessionFacts {
  ino: number;
  /** Bytes of complete lines when it was read. */
  size: number;
  firstSeq: number;
  lastSeq: number;
}

/** What verifying one session needs. */
export interface VerifyContext {
  root: string;
  check: IntegrityCollector;
  /** `undefined` when the root has no feed index (reported once, not per session). */
  feed: FeedCoverage | undefined;
  /** A live process holds the root's lock: its batch in progress is not a problem. */
  writerActive: boolean;
  /** Upgraded from layout 1: lines without an expiry may hold a ttl. */
  legacy: boolean;
  duplicates: DuplicateIds;
  facts: Map<string, SessionFacts>;
}

/**
 * Checks one session's files without writing anything: its tombstone, checkpoint, data file
 * (every line, read once, streaming), sparse index, and its seqs against the feed index.
 */
export async function verifySession(ctx: VerifyContext, sessionId: string): Promise<void> {
  const files = sessionFiles(ctx.root, sessionId);
  const tombstone = checkTombstone(ctx, files, sessionId);
  await checkCheckpoint(ctx, files, sessionId);
  let fd: number;
  try {
    fd = openSync(files.data, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (tombstone !== undefined) checkRunsPastData(ctx, files, sessionId, tombstone);
    return;
  }
  try {
    const { size, ino } = fstatSync(fd);
    const scan = new SessionScan(ctx, files, sessionId, tombstone);
    for await (const lines of readLinesForward(fd, 0, size)) {
      for (const line of lines) scan.line(line);
      await ctx.check.pause();
    }
    scan.finish(size);
    if (scan.records > 0 || scan.meta) ctx.check.sessions++;
    if (scan.records > 0 && !scan.meta && scan.firstSeq !== undefined) {
      ctx.facts.set(sessionId, {
        ino,
        size: scan.end,
        firstSeq: scan.firstSeq,
        lastSeq: scan.lastSeq,
      });
    }
    checkRunsPastData(ctx, files, sessionId, Math.max(tombstone ?? 0, scan.sessionLastSeq));
    const repeated = ctx.duplicates.repeated();
    if (repeated.size > 0) await reportDuplicateIds(ctx, files, sessionId, fd, scan.end, repeated);
    checkIndex(ctx, files, sessionId, scan);
  } finally {
    closeSync(fd);
  }
}

/** The tombstone's last seq (0: none; `undefined`: unreadable, reported). */
function checkTombstone(
  ctx: VerifyContext,
  files: SessionFiles,
  sessionId: string,
): number | undefined {
  try {
    return readTombstone(files);
  } catch (error) {
    ctx.check.add({
      kind: 'metadata-mismatch',
      sessionId,
      location: files.tombstone,
      message: `the tombstone does not hold a valid last seq (${firstLine(error)})`,
    });
    return undefined;
  }
}

async function checkCheckpoint(
  ctx: VerifyContext,
  files: SessionFiles,
  sessionId: string,
): Promise<void> {
  let problem: string | undefined;
  try {
    const checkpoint = await readCheckpointFile(files);
    if (checkpoint && checkpoint.sessionId !== sessionId) {
      problem = `the checkpoint names session ${JSON.stringify(checkpoint.sessionId)}`;
    } else if (checkpoint) {
      JSON.parse(checkpoint.json);
    }
  } catch (error) {
    problem = `the checkpoint does not parse (${firstLine(error)})`;
  }
  if (problem) {
    ctx.check.add({
      kind: 'invalid-json',
      sessionId,
      location: files.checkpoint,
      message: problem,
    });
  }
}

/** Feed runs beyond the last seq the session ever handed out point at nothing. */
function checkRunsPastData(
  ctx: VerifyContext,
  files: SessionFiles,
  sessionId: string,
  lastSeq: number,
): void {
  const runs = ctx.feed?.sessions.get(sessionId);
  const top = runs?.ranges.at(-1) ?? 0;
  if (!runs || top <= lastSeq) return;
  ctx.check.add({
    kind: 'index-mismatch',
    sessionId,
    seq: lastSeq + 1,
    location: `${ctx.feed!.path} byte ${runs.topOffset}`,
    message:
      lastSeq === 0
        ? `the feed index has runs up to seq ${top} of a session with no data file (${files.data}) and no tombstone`
        : `the feed index has runs up to seq ${top}, past the session's last seq ${lastSeq}`,
  });
}

/** One pass over a session file's lines, in order. */
class SessionScan {
  /** Complete lines, the meta line and unreadable ones included (index blocks count them). */
  lines = 0;
  records = 0;
  meta: SessionMeta | undefined;
  firstSeq: number | undefined;
  /** The highest seq seen. */
  lastSeq = 0;
  /** End of the last complete line. */
  end = 0;
  /** Offsets of the lines starting index blocks (line 0, 256, ...). */
  readonly blockOffsets: number[] = [];
  /**
   * Blocks, from the first, whose first line a batch before the session's last run wrote: their
   * index entries are written (the writer's lenient check asks no more of the others).
   */
  settledBlocks = 0;
  private recordsAtOrBelowMeta = 0;
  /** An unreadable line: corruption when a line follows, a crash's leftover when last. */
  private bad: number | undefined;
  /** The feed's covered seq ranges and the pair being walked. */
  private readonly ranges: number[] | undefined;
  private range = 0;
  /** A stretch of stored seqs missing from the feed index, reported when it ends. */
  private unindexed: { from: number; to: number; offset: number } | undefined;
  /** Seqs above this are a batch the writer has not committed yet (lenient checks). */
  private readonly committed: number;
  private readonly settledBelow: number;

  constructor(
    private readonly ctx: VerifyContext,
    private readonly files: SessionFiles,
    private readonly sessionId: string,
    private readonly tombstone: number | undefined,
  ) {
    const runs = ctx.feed?.sessions.get(sessionId);
    this.ranges = ctx.feed ? (runs?.ranges ?? []) : undefined;
    this.committed = ctx.writerActive ? (runs?.ranges.at(-1) ?? 0) : Number.POSITIVE_INFINITY;
    this.settledBelow = ctx.writerActive ? (runs?.lastRunFirstSeq ?? 0) : Number.POSITIVE_INFINITY;
  }

  /** The last seq the session handed out, as its file tells it. */
  get sessionLastSeq(): number {
    return Math.max(this.lastSeq, this.meta?.lastSeq ?? 0);
  }

  line({ offset, text }: Line): void {
    if (this.bad !== undefined) {
      this.add('invalid-json', undefined, this.bad, 'the line is not a record: it does not parse');
      this.bad = undefined;
    }
    this.end = offset + Buffer.byteLength(text, 'utf8') + 1;
    const index = this.lines++;
    if (startsIndexBlock(index)) this.blockOffsets.push(offset);
    if (offset === 0) {
      const meta = parseMetaLine(text);
      if (meta) {
        this.meta = meta;
        return;
      }
    }
    const record = parseRecordLine(text);
    if (!record) {
      this.bad = offset;
      return;
    }
    this.record(record, offset);
    if (startsIndexBlock(index) && record.seq < this.settledBelow) {
      this.settledBlocks = this.blockOffsets.length;
    }
  }

  private record(record: RecordLine, offset: number): void {
    const { seq } = record;
    this.ctx.check.countEvent();
    this.records++;
    this.ctx.duplicates.add(record.id);
    this.checkEnvelope(record, offset);
    const previous = this.firstSeq === undefined ? undefined : this.lastSeq;
    this.firstSeq ??= seq;
    if (previous !== undefined && seq <= previous) {
      if (seq === previous) {
        this.add('duplicate', seq, offset, `seq ${seq} is stored twice`);
      } else {
        this.add('seq-order', seq, offset, `seq ${seq} comes after seq ${previous}`);
      }
      return;
    }
    this.lastSeq = seq;
    this.checkIndexed(seq, offset);
    const metaSeq = this.meta?.lastSeq;
    if (metaSeq !== undefined && seq <= metaSeq) {
      // Purges removed what they chose at or below it: the meta line counts what is left.
      this.recordsAtOrBelowMeta++;
      return;
    }
    // Appends hand out seqs one by one: after the meta line's seq, or the file's first.
    const expected = previous === undefined ? metaSeq : Math.max(previous, metaSeq ?? 0);
    if (expected !== undefined && seq > expected + 1) {
      this.add('seq-gap', expected + 1, offset, `${seqsAre(expected + 1, seq - 1)} missing`);
    }
  }

  private checkEnvelope(record: RecordLine, offset: number): void {
    const checked = inspectStoredEnvelope(record.json, {
      id: record.id,
      sessionId: this.sessionId,
    });
    let problem: string | undefined;
    if ('problem' in checked) {
      problem = checked.problem;
    } else if (checked.envelope.occurredAtMs !== record.at) {
      problem = `the line's time ${record.at} is not the envelope's occurredAt (${checked.envelope.occurredAtMs})`;
    } else if (
      (record.exp !== undefined || !this.ctx.legacy) &&
      record.exp !== checked.envelope.expiresAtMs
    ) {
      problem = `the line's expiry ${record.exp ?? 'none'} is not the envelope's (${checked.envelope.expiresAtMs ?? 'none'})`;
    }
    if (problem) this.add('invalid-json', record.seq, offset, problem);
  }

  /** Walks the feed's ranges along the file's growing seqs. */
  private checkIndexed(seq: number, offset: number): void {
    const ranges = this.ranges;
    if (!ranges || seq > this.committed) return;
    while (this.range < ranges.length && ranges[this.range + 1]! < seq) this.range += 2;
    if (this.range < ranges.length && ranges[this.range]! <= seq) return;
    if (this.unindexed && this.unindexed.to === seq - 1) this.unindexed.to = seq;
    else {
      this.flushUnindexed();
      this.unindexed = { from: seq, to: seq, offset };
    }
  }

  private flushUnindexed(): void {
    const stretch = this.unindexed;
    if (!stretch) return;
    this.unindexed = undefined;
    this.add(
      'index-mismatch',
      stretch.from,
      stretch.offset,
      `${seqsAre(stretch.from, stretch.to)} missing from the feed index (${this.ctx.feed!.path})`,
    );
  }

  finish(size: number): void {
    this.flushUnindexed();
    const { ctx, files } = this;
    if (!ctx.writerActive) {
      if (this.bad !== undefined) {
        this.add(
          'torn-line',
          undefined,
          this.bad,
          'the last line is unreadable: a crash left it; the next writable open cuts it',
        );
      } else if (this.end < size) {
        this.add(
          'torn-line',
          undefined,
          this.end,
          `the file ends with ${size - this.end} bytes of an incomplete line: a crash left them; the next writable open cuts them`,
        );
      }
    }
    const { meta, tombstone } = this;
    const lastSeq = this.sessionLastSeq;
    if (lastSeq === 0) return;
    const where = `${files.data} byte 0`;
    if (meta) {
      const kept = this.recordsAtOrBelowMeta;
      const counted = `the meta line counts ${meta.count} records at or below seq ${meta.lastSeq}, the file holds ${kept}`;
      if (kept < meta.count) {
        this.report('seq-gap', undefined, where, `${counted}: ${meta.count - kept} missing`);
      } else if (kept > meta.count) {
        this.report('metadata-mismatch', undefined, where, counted);
      }
    }
    if (tombstone === undefined) return;
    if (lastSeq < tombstone) {
      this.report(
        'metadata-mismatch',
        undefined,
        files.tombstone,
        `the tombstone's last seq ${tombstone} is past the session's, ${lastSeq}: seqs went back`,
      );
      return;
    }
    // Equal: a delete that wrote its tombstone and stopped before removing the data file.
    const first = this.firstSeq;
    if (lastSeq === tombstone || first === undefined) return;
    if (first <= tombstone) {
      this.report(
        'metadata-mismatch',
        first,
        where,
        `seq ${first} is at or below the tombstone's last seq ${tombstone}: it belongs to the deleted session`,
      );
    } else if (!meta && first > tombstone + 1) {
      // Appends hand out seqs one by one from the tombstone's (or 0) on; only purges,
      // which leave a meta line, remove any.
      this.report(
        'seq-gap',
        tombstone + 1,
        where,
        `${seqsAre(tombstone + 1, first - 1)} missing before the first line (seq ${first})`,
      );
    }
  }

  private add(
    kind: IntegrityProblem['kind'],
    seq: number | undefined,
    offset: number,
    message: string,
  ): void {
    this.report(kind, seq, `${this.files.data} byte ${offset}`, message);
  }

  private report(
    kind: IntegrityProblem['kind'],
    seq: number | undefined,
    location: string,
    message: string,
  ): void {
    this.ctx.check.add({
      kind,
      sessionId: this.sessionId,
      ...(seq === undefined ? {} : { seq }),
      location,
      message,
    });
  }
}

/**
 * Reads the session file again for the ids whose hash was added twice, and reports each id
 * stored more than once (hashes can collide: only equal ids count).
 */
async function reportDuplicateIds(
  ctx: VerifyContext,
  files: SessionFiles,
  sessionId: string,
  fd: number,
  end: number,
  hashes: ReadonlySet<number>,
): Promise<void> {
  const firstSeqOf = new Map<string, number>();
  for await (const lines of readLinesForward(fd, 0, end)) {
    for (const { text, offset } of lines) {
      const record = parseRecordLine(text);
      if (!record || !hashes.has(idHash(record.id))) continue;
      const first = firstSeqOf.get(record.id);
      if (first === undefined) {
        firstSeqOf.set(record.id, record.seq);
        continue;
      }
      // The same line twice: reported as a seq stored twice already.
      if (first === record.seq) continue;
      ctx.check.add({
        kind: 'duplicate',
        sessionId,
        seq: record.seq,
        location: `${files.data} byte ${offset}`,
        message: `event id ${JSON.stringify(record.id)} is stored again (first at seq ${first})`,
      });
    }
  }
}

/**
 * The sparse index (`.idx`) against the file's block lines: an entry missing, pointing
 * elsewhere, or past the last block. A session of one block needs none: a file left beside
 * one is never read past its checks, and is not reported.
 */
function checkIndex(
  ctx: VerifyContext,
  files: SessionFiles,
  sessionId: string,
  scan: SessionScan,
): void {
  const expected = scan.blockOffsets;
  if (expected.length <= 1) return;
  // A purge's rewrite renames the file, then rebuilds its index: with a writer at work, a
  // rewritten file's index is not checked, and blocks of its last batch may lack entries yet.
  if (ctx.writerActive && scan.meta) return;
  const settled = ctx.writerActive ? scan.settledBlocks : expected.length;
  let raw: Buffer;
  try {
    raw = readFileSync(files.index);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    raw = Buffer.alloc(0);
  }
  const problem = (entry: number, message: string) =>
    ctx.check.add({
      kind: 'index-mismatch',
      sessionId,
      location: `${files.index} entry ${entry}`,
      message,
    });
  const entries = Math.floor(raw.length / 8);
  if (raw.length % 8 !== 0 && !ctx.writerActive) {
    problem(entries, `the index ends with ${raw.length % 8} bytes of an incomplete entry`);
  }
  for (let k = 1; k < Math.max(entries, expected.length); k++) {
    const line = k * INDEX_INTERVAL;
    if (k >= expected.length) {
      // The writer may have appended blocks since the file was read.
      if (ctx.writerActive) break;
      problem(
        k,
        `entry ${k} points at byte ${Number(raw.readBigUInt64LE(k * 8))}, but the file has no line ${line}`,
      );
    } else if (k >= entries) {
      if (k < settled) problem(k, `entry ${k} (line ${line}, byte ${expected[k]}) is missing`);
    } else {
      const offset = Number(raw.readBigUInt64LE(k * 8));
      if (offset !== expected[k]) {
        problem(
          k,
          `entry ${k} points at byte ${offset}, but line ${line} starts at byte ${expected[k]}`,
        );
      }
    }
  }
  if (entries > 0 && raw.readBigUInt64LE(0) !== 0n) {
    problem(0, 'entry 0 is not 0 (the file start)');
  }
}

/** `seq a is`, or `seqs a..b are`. */
function seqsAre(from: number, to: number): string {
  return from === to ? `seq ${from} is` : `seqs ${from}..${to} are`;
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}
