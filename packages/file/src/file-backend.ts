import { statSync } from 'node:fs';
import { ClosedError, LockedError, type PurgeResult } from '@history/core';
import type {
  BatchCondition,
  FeedPage,
  FeedPageRequest,
  HistoryBackend,
  NormalizedRange,
  PreparedEnvelope,
  PurgeRequest,
  SessionPageRequest,
  StoredCheckpoint,
  StoredRecord,
  StoredSession,
  WriteOutcome,
} from '@history/core/backend';
import {
  readCheckpointFile,
  removeStaleCheckpointTemp,
  writeCheckpointFile,
} from './checkpoint-file.js';
import type { Committed } from './compact-session.js';
import { CompactThread } from './compact-thread.js';
import { FeedHandles } from './feed-handles.js';
import type { FeedIndex } from './feed-index.js';
import { isFeedPosition } from './feed-position.js';
import { readSessionPages } from './file-reader.js';
import { FileWriter } from './file-writer.js';
import { isTransientFsError } from './is-transient.js';
import type { Layout } from './layout.js';
import type { ResolvedFileOptions } from './options.js';
import { readFeedPage } from './read-feed.js';
import { ReadHandles } from './read-handles.js';
import { readSessionSummary } from './read-session-summary.js';
import { removeSessionFiles } from './remove-session-files.js';
import type { RootLock } from './root-lock.js';
import { SessionCatalog } from './session-catalog.js';
import { SessionFileError } from './session-file-error.js';
import { type SessionFiles, sessionFiles } from './session-files.js';
import { SessionHandles } from './session-handles.js';
import { SessionPurger } from './session-purger.js';
import { SessionStates } from './session-states.js';
import type { SessionSummary } from './session-summary.js';
import { readTombstone, writeTombstone } from './tombstone.js';

/**
 * Session file handles the feed keeps open between pages: a page's sessions, when they are a
 * few hundred at most (more, and each page opens its own as if none were kept).
 */
const FEED_HANDLES = 256;

/** JSONL files under `root`, written by the one process holding the root's lock. */
export class FileBackend implements HistoryBackend {
  readonly name = 'file';
  /** Per-session seq, size and ids, kept apart from the handles (tests inspect both). */
  readonly states: SessionStates;
  readonly handles: SessionHandles;
  /** Read handles of running streams: `close()` closes those a consumer abandoned. */
  readonly readHandles = new ReadHandles();
  /** Session files' handles the feed keeps between pages (evicted when a file is replaced). */
  readonly feedHandles = new FeedHandles(this.readHandles, FEED_HANDLES);
  private readonly writer: FileWriter;
  private readonly durable: boolean;
  private closed = false;
  /**
   * Checkpoint writes running, per session: a session's run one after another (they share
   * one temp file name), and while none runs, a temp file found is a crash's leftover.
   */
  private readonly checkpointing = new Map<string, Promise<void>>();
  /**
   * The batch being written, or a step that must not overlap one (a delete): they run one
   * after another even if core starts several batches.
   */
  private writing: Promise<unknown> = Promise.resolve();
  /**
   * Sessions a compaction holds, each with its release: a batch writing to one waits for it,
   * the others go on (a rename of one session's file must not stall every session's appends).
   */
  private readonly held = new Map<string, Promise<void>>();
  /** Purge chunks and deletes, one at a time (a compaction must not meet a delete). */
  private maintaining: Promise<unknown> = Promise.resolve();
  private readonly catalog: SessionCatalog;
  /** Purge chunks (tests observe its compaction steps through `purger.onStep`). */
  readonly purger: SessionPurger;
  /** The thread compactions read and copy files on (started by the first). */
  private readonly compactThread = new CompactThread();

  constructor(
    private readonly options: ResolvedFileOptions,
    private readonly lock: RootLock,
    private readonly layout: Layout,
    /** The root's feed index (see feed-index.ts). */
    readonly feed: FeedIndex,
  ) {
    this.durable = options.durability === 'fsync';
    this.states = new SessionStates(options.maxCachedIds);
    this.handles = new SessionHandles(options.maxOpenFiles);
    this.catalog = new SessionCatalog(options.root);
    this.purger = new SessionPurger({
      root: options.root,
      durable: this.durable,
      legacy: layout.legacy,
      catalog: this.catalog,
      states: this.states,
      handles: this.handles,
      copy: (task) => this.compactThread.run(task),
      onSession: (sessionId, task) => this.onSession(sessionId, task),
      committed: (sessionId, files) => this.committed(sessionId, files),
      closing: () => this.closed,
      replaced: (sessionId) => this.feedHandles.evict(sessionId),
    });
    this.writer = new FileWriter(
      options.root,
      this.states,
      this.handles,
      this.durable,
      feed,
      (sessionId, files) => this.removeStaleTemp(sessionId, files),
      (sessionId) => this.catalog.added(sessionId),
    );
  }

  async writeBatch(
    records: readonly PreparedEnvelope[],
    conditions?: readonly BatchCondition[],
  ): Promise<WriteOutcome[]> {
    this.assertWritable('append');
    // Handles and states are shared by every batch: with core's `maxConcurrentBatches` above 1
    // a second batch could close a handle the first is still writing through.
    return this.onWriter(() =>
      this.held.size === 0
        ? this.writer.writeBatch(records, conditions)
        : this.afterHeld(records).then(() => this.writer.writeBatch(records, conditions)),
    );
  }

  /** Resolves once no compaction holds a session of `records`. */
  private async afterHeld(records: readonly PreparedEnvelope[]): Promise<void> {
    const releases = new Set<Promise<void>>();
    for (const r of records) {
      const release = this.held.get(r.sessionId);
      if (release) releases.add(release);
    }
    await Promise.all(releases);
  }

  readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    return readSessionPages(
      sessionId,
      sessionFiles(this.options.root, sessionId),
      range,
      () => this.states.peek(sessionId)?.size,
      this.readHandles,
      this.options.pageBytes,
      this.layout.legacy,
    );
  }

  async readFeed(request: FeedPageRequest): Promise<FeedPage> {
    return readFeedPage(
      {
        root: this.options.root,
        runs: this.feed.runs,
        feedHandles: this.feedHandles,
        readHandles: this.readHandles,
        committedSize: (sessionId) => this.states.peek(sessionId)?.size,
        pageBytes: this.options.pageBytes,
        legacy: this.layout.legacy,
      },
      request,
    );
  }

  isFeedPosition(position: string): boolean {
    return isFeedPosition(position);
  }

  async listSessions(request: SessionPageRequest): Promise<StoredSession[]> {
    const page: StoredSession[] = [];
    let cursor = request.after;
    while (page.length < request.limit) {
      const sessionId = await this.catalog.next(cursor, request.prefix);
      if (sessionId === undefined) break;
      cursor = sessionId;
      const summary = await this.summaryOf(sessionId);
      if (summary) page.push({ sessionId, ...summary });
    }
    return page;
  }

  async getSession(sessionId: string): Promise<StoredSession | null> {
    const summary = await this.summaryOf(sessionId);
    return summary ? { sessionId, ...summary } : null;
  }

  /**
   * Writes a tombstone with the session's last seq first (so a crash at any later step
   * loses no seq), then forgets the writer's state and handle (no cached id or seq can
   * bring anything back) and unlinks the session's files, fsyncing the directory.
   */
  async deleteSession(sessionId: string): Promise<{ deletedEvents: number }> {
    this.assertWritable('deleteSession');
    return this.maintain(() =>
      this.onWriter(async () => {
        await this.checkpointing.get(sessionId);
        const files = sessionFiles(this.options.root, sessionId);
        const state = this.states.peek(sessionId);
        const summary = state ? state.summary : await readSessionSummary(files);
        const tombstone = readTombstone(files);
        const lastSeq = Math.max(state?.lastSeq ?? 0, summary?.lastSeq ?? 0);
        if (lastSeq > tombstone) await writeTombstone(files, lastSeq);
        this.states.drop(sessionId);
        this.handles.close(sessionId);
        this.feedHandles.evict(sessionId);
        await removeSessionFiles(files);
        this.catalog.removed(sessionId);
        this.purger.forget(sessionId);
        await this.feed.sessionDeleted(sessionId);
        return { deletedEvents: summary?.eventCount ?? 0 };
      }),
    );
  }

  /** One chunk of a purge round (see session-purger.ts), never beside a delete. */
  async purgeExpired(request: PurgeRequest): Promise<PurgeResult> {
    this.assertWritable('purgeExpired');
    return this.maintain(() => this.purger.chunk(request));
  }

  async writeCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    this.assertWritable('checkpoint');
    const { sessionId } = checkpoint;
    const files = sessionFiles(this.options.root, sessionId);
    const previous = this.checkpointing.get(sessionId) ?? Promise.resolve();
    const write = previous.then(() => writeCheckpointFile(files, checkpoint, this.durable));
    const settled = write.catch(() => {});
    this.checkpointing.set(sessionId, settled);
    try {
      await write;
    } finally {
      if (this.checkpointing.get(sessionId) === settled) this.checkpointing.delete(sessionId);
    }
  }

  async readCheckpoint(sessionId: string): Promise<StoredCheckpoint | null> {
    const files = sessionFiles(this.options.root, sessionId);
    this.removeStaleTemp(sessionId, files);
    return readCheckpointFile(files);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A purge chunk stops at its next session; its compaction finishes under the lock.
    await this.maintaining;
    await this.compactThread.close();
    // Checkpoint writes finish under the lock: the next holder may use the same temp names.
    await Promise.all(this.checkpointing.values());
    this.handles.closeAll();
    await this.readHandles.closeAll();
    this.states.clear();
    try {
      // Writes stopped (core drained the writer): the mark says this close was clean.
      await this.feed.close();
    } finally {
      await this.lock.release();
    }
  }

  failedSession(error: unknown): string | undefined {
    return error instanceof SessionFileError ? error.sessionId : undefined;
  }

  isTransient(error: unknown): boolean {
    return isTransientFsError(error);
  }

  /** Before a checkpoint read and on a session's load for appending: a crash's temp files go. */
  private removeStaleTemp(sessionId: string, files: SessionFiles): void {
    if (this.closed) return;
    if (!this.checkpointing.has(sessionId)) removeStaleCheckpointTemp(files);
    this.purger.removeStaleTemp(sessionId, files);
  }

  /** What is committed of a session now (called with no batch writing). */
  private async committed(sessionId: string, files: SessionFiles): Promise<Committed> {
    const state = this.states.peek(sessionId);
    if (state) return { size: state.size, summary: state.summary && { ...state.summary } };
    const summary = await readSessionSummary(files);
    let size = 0;
    try {
      size = statSync(files.data).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return { size, summary };
  }

  private async summaryOf(sessionId: string): Promise<SessionSummary | undefined> {
    const state = this.states.peek(sessionId);
    if (state) return state.summary && { ...state.summary };
    return readSessionSummary(sessionFiles(this.options.root, sessionId));
  }

  /**
   * Runs `task` holding only `sessionId`: once the batch being written (which may write to it)
   * is done, batches writing to the session wait for `task`, the others go on beside it.
   */
  private async onSession<T>(sessionId: string, task: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    await this.onWriter(async () => {
      this.held.set(sessionId, released);
    });
    try {
      return await task();
    } finally {
      this.held.delete(sessionId);
      release();
    }
  }

  private onWriter<T>(task: () => Promise<T>): Promise<T> {
    const run = this.writing.then(task);
    this.writing = run.catch(() => {});
    return run;
  }

  private maintain<T>(task: () => Promise<T>): Promise<T> {
    const run = this.maintaining.then(task);
    this.maintaining = run.catch(() => {});
    return run;
  }

  private assertWritable(operation: string): void {
    if (this.closed) throw new ClosedError(operation);
    const lost = this.lock.compromised;
    if (lost) {
      throw new LockedError(
        `History store at ${this.options.root} lost its write lock (${lost.message}); reopen it`,
        { cause: lost },
      );
    }
  }
}
