import { type AppendResult, ClosedError, LockedError } from '@history/core';
import type {
  HistoryBackend,
  NormalizedRange,
  PreparedEnvelope,
  StoredCheckpoint,
  StoredRecord,
} from '@history/core/backend';
import {
  readCheckpointFile,
  removeStaleCheckpointTemp,
  writeCheckpointFile,
} from './checkpoint-file.js';
import { readSessionPages } from './file-reader.js';
import { FileWriter } from './file-writer.js';
import { isTransientFsError } from './is-transient.js';
import type { ResolvedFileOptions } from './options.js';
import { ReadHandles } from './read-handles.js';
import type { RootLock } from './root-lock.js';
import { SessionFileError } from './session-file-error.js';
import { type SessionFiles, sessionFiles } from './session-files.js';
import { SessionHandles } from './session-handles.js';
import { SessionStates } from './session-states.js';

/** JSONL files under `root`, written by the one process holding the root's lock. */
export class FileBackend implements HistoryBackend {
  readonly name = 'file';
  /** Per-session seq, size and ids, kept apart from the handles (tests inspect both). */
  readonly states: SessionStates;
  readonly handles: SessionHandles;
  /** Read handles of running streams: `close()` closes those a consumer abandoned. */
  readonly readHandles = new ReadHandles();
  private readonly writer: FileWriter;
  private readonly durable: boolean;
  private closed = false;
  /**
   * Checkpoint writes running, per session: a session's run one after another (they share
   * one temp file name), and while none runs, a temp file found is a crash's leftover.
   */
  private readonly checkpointing = new Map<string, Promise<void>>();
  /** The batch being written: batches run one after another even if core starts several. */
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: ResolvedFileOptions,
    private readonly lock: RootLock,
  ) {
    this.durable = options.durability === 'fsync';
    this.states = new SessionStates(options.maxCachedIds);
    this.handles = new SessionHandles(options.maxOpenFiles);
    this.writer = new FileWriter(
      options.root,
      this.states,
      this.handles,
      this.durable,
      (sessionId, files) => this.removeStaleTemp(sessionId, files),
    );
  }

  async writeBatch(records: readonly PreparedEnvelope[]): Promise<AppendResult[]> {
    this.assertWritable('append');
    // Handles and states are shared by every batch: with core's `maxConcurrentBatches` above 1
    // a second batch could close a handle the first is still writing through.
    const batch = this.writing.then(() => this.writer.writeBatch(records));
    this.writing = batch.catch(() => {});
    return batch;
  }

  readPages(sessionId: string, range: NormalizedRange): AsyncIterable<StoredRecord[]> {
    return readSessionPages(
      sessionId,
      sessionFiles(this.options.root, sessionId),
      range,
      this.states.peek(sessionId)?.size,
      this.readHandles,
      this.options.pageBytes,
    );
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
    // Checkpoint writes finish under the lock: the next holder may use the same temp names.
    await Promise.all(this.checkpointing.values());
    this.handles.closeAll();
    await this.readHandles.closeAll();
    this.states.clear();
    await this.lock.release();
  }

  failedSession(error: unknown): string | undefined {
    return error instanceof SessionFileError ? error.sessionId : undefined;
  }

  isTransient(error: unknown): boolean {
    return isTransientFsError(error);
  }

  /** Before a checkpoint read and on a session's load for appending: a crash's temp file goes. */
  private removeStaleTemp(sessionId: string, files: SessionFiles): void {
    if (!this.closed && !this.checkpointing.has(sessionId)) removeStaleCheckpointTemp(files);
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
