import { type FSWatcher, statSync, watch } from 'node:fs';
import { ClosedError, type PurgeResult, ReadOnlyError } from '@history/core';
import type {
  FeedPage,
  FeedPageRequest,
  HistoryBackend,
  NormalizedRange,
  StoredCheckpoint,
  StoredRecord,
  StoredSession,
  WriteOutcome,
} from '@history/core/backend';
import { readCheckpointFile } from './checkpoint-file.js';
import { FEED_FILE, feedPath } from './feed-file.js';
import { FeedHandles } from './feed-handles.js';
import { isFeedPosition } from './feed-position.js';
import type { FeedTail } from './feed-tail.js';
import { readSessionPages } from './file-reader.js';
import type { Layout } from './layout.js';
import type { ResolvedFileOptions } from './options.js';
import { readFeedPage } from './read-feed.js';
import { ReadHandles } from './read-handles.js';
import { readSessionSummary } from './read-session-summary.js';
import { SessionCatalog } from './session-catalog.js';
import { sessionFiles } from './session-files.js';

/** Session file handles the feed keeps between pages (as FileBackend's). */
const FEED_HANDLES = 256;

/**
 * A root another process writes, read without its lock and without writing anything: what
 * is committed is what the feed index's complete lines say (see feed-tail.ts), refreshed
 * before every read. Writes reject with `ReadOnlyError` (`HISTORY_READ_ONLY`).
 */
export class ReadOnlyFileBackend implements HistoryBackend {
  readonly name = 'file';
  readonly readHandles = new ReadHandles();
  /** Handles are checked before reuse: this store is not told of rewrites and deletes. */
  readonly feedHandles = new FeedHandles(this.readHandles, FEED_HANDLES, true);
  private catalog: SessionCatalog;
  private closed = false;

  constructor(
    private readonly options: ResolvedFileOptions,
    private readonly layout: Layout,
    /** The root's feed index as read so far. */
    readonly feed: FeedTail,
  ) {
    this.catalog = new SessionCatalog(options.root);
  }

  async writeBatch(): Promise<WriteOutcome[]> {
    throw this.readOnly('append');
  }

  readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    const { feed, options, readHandles, layout } = this;
    return (async function* () {
      // The bound first, the file after: every line at or below it is then in the file.
      await feed.refresh();
      yield* readSessionPages(
        sessionId,
        sessionFiles(options.root, sessionId),
        range,
        () => undefined,
        readHandles,
        options.pageBytes,
        layout.legacy,
        feed.runs.lastSeqOf(sessionId),
      );
    })();
  }

  async readFeed(request: FeedPageRequest): Promise<FeedPage> {
    await this.feed.refresh();
    return readFeedPage(
      {
        root: this.options.root,
        runs: this.feed.runs,
        feedHandles: this.feedHandles,
        readHandles: this.readHandles,
        committedSize: () => undefined,
        pageBytes: this.options.pageBytes,
        legacy: this.layout.legacy,
      },
      request,
    );
  }

  isFeedPosition(position: string): boolean {
    return isFeedPosition(position);
  }

  /**
   * Each listing walks `sessions/` again (its first page): this store is not told of
   * sessions created or deleted since.
   */
  async listSessions(request: {
    after?: string;
    prefix?: string;
    limit: number;
  }): Promise<StoredSession[]> {
    if (request.after === undefined) this.catalog = new SessionCatalog(this.options.root);
    await this.feed.refresh();
    const page: StoredSession[] = [];
    let cursor = request.after;
    while (page.length < request.limit) {
      const sessionId = await this.catalog.next(cursor, request.prefix);
      if (sessionId === undefined) break;
      cursor = sessionId;
      const session = await this.summaryOf(sessionId);
      if (session) page.push(session);
    }
    return page;
  }

  async getSession(sessionId: string): Promise<StoredSession | null> {
    await this.feed.refresh();
    return (await this.summaryOf(sessionId)) ?? null;
  }

  async deleteSession(): Promise<{ deletedEvents: number }> {
    throw this.readOnly('deleteSession');
  }

  async purgeExpired(): Promise<PurgeResult> {
    throw this.readOnly('purgeExpired');
  }

  async writeCheckpoint(): Promise<void> {
    throw this.readOnly('checkpoint');
  }

  /** Checkpoints are replaced by rename: a read sees the old one or the new one, whole. */
  async readCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    return readCheckpointFile(sessionFiles(this.options.root, sessionId));
  }

  /**
   * Reports the writer's commits: a watch of the root directory (the feed index is appended
   * to, or replaced by rename, there) reports them at once where the platform supports it,
   * and a `stat` of the feed index every `changeCheckMs` finds any the watch missed (or all
   * of them, where watching fails). Either reports only when the file changed.
   */
  watchCommits(onCommit: () => void): () => void {
    const path = feedPath(this.options.root);
    let seen = versionOf(path);
    const check = () => {
      const now = versionOf(path);
      if (now === seen) return;
      seen = now;
      onCommit();
    };
    const timer = setInterval(check, this.options.changeCheckMs);
    // The followers' own waits keep the process alive while they follow.
    timer.unref();
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(this.options.root, { persistent: false }, (_event, name) => {
        if (name === null || name === FEED_FILE) check();
      });
      // A watch that breaks leaves the polling alone.
      watcher.on('error', () => watcher?.close());
    } catch {
      // No watch here (a platform or file system without one): polling only.
    }
    return () => {
      clearInterval(timer);
      watcher?.close();
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.readHandles.closeAll();
    this.feed.close();
  }

  /** What the writer committed of a session: its lines up to the feed's last seq of it. */
  private async summaryOf(sessionId: string): Promise<StoredSession | undefined> {
    const files = sessionFiles(this.options.root, sessionId);
    const summary = await readSessionSummary(files, this.feed.runs.lastSeqOf(sessionId));
    return summary && { sessionId, ...summary };
  }

  private readOnly(operation: string): Error {
    if (this.closed) return new ClosedError(operation);
    return new ReadOnlyError(
      operation,
      `Cannot ${operation}: the store at ${this.options.root} is open read-only (writes need the root's writer, a store opened without readOnly)`,
    );
  }
}

/** What changes when the writer commits: the feed index's size (or the file, once rewritten). */
function versionOf(path: string): string {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat ? `${stat.ino}:${stat.size}:${stat.mtimeMs}` : '';
}
