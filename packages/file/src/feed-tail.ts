import { closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { StorageError } from '@history/core';
import { feedPath } from './feed-file.js';
import { feedLines } from './feed-lines.js';
import { FeedRuns } from './feed-runs.js';

/**
 * A read-only store's view of the root's feed index, which another process (the writer)
 * appends to. Its complete lines are the commit record: the writer appends a batch's runs
 * after every session line of the batch, and a batch that fails before that point leaves no
 * run (its session lines are cut). So a session's records up to the last seq of its runs
 * here are committed, and nothing after is. `refresh` reads only the bytes appended since the
 * last call (one `stat` when nothing changed); a rewrite of the file (a rename by the writer:
 * dropping deleted sessions' runs, or reconciling after a crash) or a file shorter than what
 * was read is loaded again whole. Positions survive both, so followers' positions stay valid.
 */
export class FeedTail {
  runs = new FeedRuns();
  private fd: number | undefined;
  private ino = -1;
  /** Bytes of complete lines read so far. */
  private complete = 0;
  /** Refreshes run one after another: each sees the file as it is after it starts. */
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private readonly root: string) {}

  /** Reads what the writer committed since the last call. */
  refresh(): Promise<void> {
    const run = this.refreshing.then(() => this.readNew());
    this.refreshing = run.catch(() => {});
    return run;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private async readNew(): Promise<void> {
    const path = feedPath(this.root);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) {
      throw new StorageError(
        `file: ${path} is missing: open the store at ${this.root} read-write once to build it`,
      );
    }
    if (stat.ino !== this.ino || stat.size < this.complete) this.reopen(path);
    const size = fstatSync(this.fd!).size;
    if (size === this.complete) return;
    // A last line still unreadable: the writer's append in progress (or cut), read again later.
    for await (const { end } of feedLines(path, this.fd!, this.complete, size, this.runs)) {
      this.complete = end;
    }
  }

  /** The file was replaced or cut: read it again from its start. */
  private reopen(path: string): void {
    this.close();
    this.fd = openSync(path, 'r');
    this.ino = fstatSync(this.fd).ino;
    this.complete = 0;
    this.runs = new FeedRuns();
  }
}
