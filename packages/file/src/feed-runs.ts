import { partitionPoint } from '@history/core/backend';

/** One run of the feed: `count` consecutive seqs of one session written by one batch. */
export interface FeedRun {
  /** Feed position of the run's first record; the others follow one by one. */
  position: number;
  sessionId: string;
  firstSeq: number;
  count: number;
  /** Where the run's lines were written in the session file, and their bytes (0: unknown). */
  offset: number;
  bytes: number;
}

/**
 * The feed's runs in position order, in memory: columns of numbers (about 40 bytes a run)
 * and each session id once, so millions of runs stay compact and a position is found by
 * binary search. Also remembers, per session, up to which position its runs are dead (the
 * session was deleted then), so reads skip them without touching a file.
 */
export class FeedRuns {
  private positions = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private counts = new Float64Array(1024);
  private offsets = new Float64Array(1024);
  private byteCounts = new Float64Array(1024);
  private sessionOf = new Uint32Array(1024);
  private readonly sessionIds: string[] = [];
  private readonly sessionIndex = new Map<string, number>();
  /** Per session: runs at or before this position are dead (0: none). */
  private deadUpTo: number[] = [];
  /** Per session: its live runs (counted to know when the dead ones are worth dropping). */
  private liveRuns: number[] = [];
  /** Per session: the last seq of its runs (a read-only store's bound of what is committed). */
  private lastSeqs: number[] = [];
  length = 0;
  /** Runs of deleted sessions still held. */
  deadRuns = 0;

  /** The position after the last run's last record. */
  get end(): number {
    if (this.length === 0) return 0;
    const last = this.length - 1;
    return this.positions[last]! + this.counts[last]! - 1;
  }

  push(run: FeedRun): void {
    if (this.length === this.positions.length) this.grow();
    const at = this.length++;
    let session = this.sessionIndex.get(run.sessionId);
    if (session === undefined) {
      session = this.sessionIds.length;
      this.sessionIds.push(run.sessionId);
      this.sessionIndex.set(run.sessionId, session);
      this.deadUpTo.push(0);
      this.liveRuns.push(0);
      this.lastSeqs.push(0);
    }
    this.liveRuns[session]!++;
    this.lastSeqs[session] = Math.max(this.lastSeqs[session]!, run.firstSeq + run.count - 1);
    this.positions[at] = run.position;
    this.seqs[at] = run.firstSeq;
    this.counts[at] = run.count;
    this.offsets[at] = run.offset;
    this.byteCounts[at] = run.bytes;
    this.sessionOf[at] = session;
  }

  at(index: number): FeedRun {
    return {
      position: this.positions[index]!,
      sessionId: this.sessionIds[this.sessionOf[index]!]!,
      firstSeq: this.seqs[index]!,
      count: this.counts[index]!,
      offset: this.offsets[index]!,
      bytes: this.byteCounts[index]!,
    };
  }

  /** The last seq of the session's runs, 0 when it has none. */
  lastSeqOf(sessionId: string): number {
    const session = this.sessionIndex.get(sessionId);
    return session === undefined ? 0 : this.lastSeqs[session]!;
  }

  /** Index of the first run holding a position after `position`. */
  after(position: number): number {
    const next = partitionPoint(this.length, (i) => this.positions[i]! <= position);
    const previous = next - 1;
    if (previous >= 0 && this.positions[previous]! + this.counts[previous]! - 1 > position) {
      return previous;
    }
    return next;
  }

  /** Whether the run at `index` belongs to a session deleted after it was written. */
  isDead(index: number): boolean {
    return this.positions[index]! <= this.deadUpTo[this.sessionOf[index]!]!;
  }

  /** The session was deleted: every run of it so far is dead. */
  killSession(sessionId: string): void {
    const session = this.sessionIndex.get(sessionId);
    if (session === undefined) return;
    this.deadUpTo[session] = this.end;
    this.deadRuns += this.liveRuns[session]!;
    this.liveRuns[session] = 0;
  }

  /** The live runs, in order (for a rewrite of the feed index that drops dead ones). */
  *live(): Generator<FeedRun> {
    for (let i = 0; i < this.length; i++) if (!this.isDead(i)) yield this.at(i);
  }

  private grow(): void {
    const size = this.positions.length * 2;
    const widen = (old: Float64Array) => {
      const next = new Float64Array(size);
      next.set(old);
      return next;
    };
    this.positions = widen(this.positions);
    this.seqs = widen(this.seqs);
    this.counts = widen(this.counts);
    this.offsets = widen(this.offsets);
    this.byteCounts = widen(this.byteCounts);
    const sessions = new Uint32Array(size);
    sessions.set(this.sessionOf);
    this.sessionOf = sessions;
  }
}
