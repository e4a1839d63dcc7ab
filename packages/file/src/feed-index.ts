import { closeSync, constants, fdatasync, fstatSync, ftruncateSync, openSync } from 'node:fs';
import { promisify } from 'node:util';
import { buildFeed } from './build-feed.js';
import { feedPath, loadFeedFile, writeFeedFile } from './feed-file.js';
import { markLine, runLine } from './feed-line.js';
import { type FeedRun, FeedRuns } from './feed-runs.js';
import { reconcileFeed } from './reconcile-feed.js';
import { writeAllSync } from './write-all-sync.js';

const datasync = promisify(fdatasync);
/** Dead runs (of deleted sessions) are dropped from the file once they are this many and half of it. */
const MIN_DEAD_RUNS = 1024;

/** A batch's run before it has a position. */
export type NewRun = Omit<FeedRun, 'position'>;

/**
 * The root's feed index: every batch appends one line per session it wrote (a run: the
 * session, its first seq and count, where its lines are), after the session lines and in
 * the same durability step, so the file's order is the commit order. Readers see a batch's
 * runs once it commits (`commit`), never before; a failed batch's lines are cut (`rollback`).
 */
export class FeedIndex {
  private pending: { runs: FeedRun[]; bytes: number } | undefined;
  /** A rollback could not cut the file: cut before the next write. */
  private staleTail = false;

  private constructor(
    private readonly path: string,
    private readonly durable: boolean,
    public runs: FeedRuns,
    private next: number,
    private fd: number,
    private size: number,
  ) {}

  /**
   * Opens the index of `root`: built from the session files when missing, reconciled with
   * them when the store that wrote it did not close cleanly (see reconcile-feed.ts).
   */
  static async open(root: string, durable: boolean): Promise<FeedIndex> {
    const path = feedPath(root);
    let loaded = await loadFeedFile(path);
    if (!loaded) {
      await buildFeed(root, durable);
      loaded = (await loadFeedFile(path))!;
    } else if (!loaded.clean) {
      const { runs, next } = await reconcileFeed(root, loaded);
      await writeFeedFile(path, runs, next, durable);
      loaded = (await loadFeedFile(path))!;
    }
    const fd = openSync(path, constants.O_RDWR);
    return new FeedIndex(path, durable, loaded.runs, loaded.next, fd, fstatSync(fd).size);
  }

  /** Appends a batch's runs (to the OS; `sync` makes them durable), not yet visible to readers. */
  write(runs: readonly NewRun[]): void {
    if (runs.length === 0) return;
    if (this.staleTail) {
      ftruncateSync(this.fd, this.size);
      this.staleTail = false;
    }
    let position = this.next;
    const placed = runs.map((run) => {
      const at = { ...run, position };
      position += run.count;
      return at;
    });
    const buffer = Buffer.from(placed.map(runLine).join(''), 'utf8');
    writeAllSync(this.fd, buffer, this.size);
    this.pending = { runs: placed, bytes: buffer.length };
  }

  /** Under `'fsync'` durability: the written runs reach the disk (beside the session files). */
  async sync(): Promise<void> {
    if (this.pending) await datasync(this.fd);
  }

  /** The batch committed: readers see its runs. */
  commit(): void {
    if (!this.pending) return;
    for (const run of this.pending.runs) this.runs.push(run);
    this.size += this.pending.bytes;
    this.next = this.runs.end + 1;
    this.pending = undefined;
  }

  /** The batch failed: its runs are cut off the file (their session lines are cut too). */
  rollback(): void {
    if (!this.pending) return;
    this.pending = undefined;
    try {
      ftruncateSync(this.fd, this.size);
    } catch {
      this.staleTail = true;
    }
  }

  /**
   * A session was deleted: its runs so far are dead (reads skip them without a file). Once
   * dead runs are half of the index, it is rewritten without them (atomically), so deleted
   * sessions' ids do not stay in it for good. Called between batches.
   */
  async sessionDeleted(sessionId: string): Promise<void> {
    this.runs.killSession(sessionId);
    const { deadRuns, length } = this.runs;
    if (deadRuns < MIN_DEAD_RUNS || deadRuns * 2 <= length) return;
    const live = new FeedRuns();
    for (const run of this.runs.live()) live.push(run);
    await writeFeedFile(this.path, live.live(), this.next, this.durable);
    closeSync(this.fd);
    this.fd = openSync(this.path, constants.O_RDWR);
    this.size = fstatSync(this.fd).size;
    this.runs = live;
  }

  /** A clean close: the mark tells the next open there is nothing to reconcile. */
  async close(): Promise<void> {
    try {
      if (this.staleTail) ftruncateSync(this.fd, this.size);
      writeAllSync(this.fd, Buffer.from(markLine(this.next), 'utf8'), this.size);
      if (this.durable) await datasync(this.fd);
    } finally {
      closeSync(this.fd);
    }
  }
}
