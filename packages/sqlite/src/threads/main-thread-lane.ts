import { WAL_AUTOCHECKPOINT_PAGES, WAL_RESTART_FRAMES } from '../connection.js';
import { isBusyCode } from '../is-transient.js';
import { createTaskHandler, isTaskFailure, type TaskHandler } from './task-handler.js';
import type { Task, TaskOutcome } from './tasks.js';
import { WalFrames } from './wal-frames.js';

export interface MainThreadLaneConfig {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
  /** Largest batch (records) written on the main thread; 0: none. */
  inlineWriteRows: number;
  /** Largest first page (rows) read on the main thread; 0: none. */
  inlineReadRows: number;
  /** WAL size (frames) from which a checkpoint is due (`walDue`). Default: the writer's interval. */
  checkpointFrames?: number;
  /**
   * WAL size (frames) from which writes go to the writer thread, whose commit then finishes
   * the checkpoint (see `MainThreadLane`). Default: `WAL_RESTART_FRAMES`.
   */
  maxWalFrames?: number;
}

/** Bytes of JSON a batch written on the main thread may hold: about a millisecond of work. */
export const INLINE_WRITE_BYTES = 256 * 1024;
/** Bytes of JSON a first page read on the main thread may hold: a few milliseconds at most. */
export const INLINE_READ_BYTES = 1024 * 1024;

/**
 * Short tasks run synchronously on a connection of the main thread, skipping
 * the round trip to a worker thread, which costs more than a small batch's
 * own work. Each method returns `undefined` when the task must go to a worker
 * instead: too large, `durability: 'full'` (an fsync per commit), a WAL grown to
 * `WAL_RESTART_FRAMES`, or a lock held by another connection (this one
 * never waits for it). A task refused for a lock rolled back and wrote nothing,
 * so the worker runs it afresh. This connection never checkpoints: from the
 * interval on, `walDue` tells the caller to have the writer thread run a PASSIVE
 * checkpoint beside this connection's commits. Those copy frames but seldom let
 * the WAL restart (that needs a moment with every frame copied, and this
 * connection keeps adding some, so a pause in the appends is what lets it restart); at
 * `WAL_RESTART_FRAMES` a batch goes to the writer thread, whose commit finishes the
 * checkpoint with no other writer (a short one: the background ones copied most frames),
 * and the next commit restarts the WAL.
 */
export class MainThreadLane {
  private readonly config: MainThreadLaneConfig;
  private readonly handle: TaskHandler;
  private readonly wal: WalFrames;
  /** The connection could not be opened: everything goes to the worker threads (never reopened here). */
  private readonly disabled: boolean;

  constructor(config: MainThreadLaneConfig) {
    this.config = config;
    this.handle = createTaskHandler({ ...config, role: 'main' });
    // Opens the connection (and so the WAL-index file) before reading its header.
    this.disabled = isTaskFailure(this.handle({ kind: 'open' }));
    this.wal = new WalFrames(config.filename);
  }

  write<T extends Task>(task: T): TaskOutcome<T> | undefined {
    if (this.disabled || this.config.durability === 'full' || this.config.inlineWriteRows === 0) {
      return undefined;
    }
    // Deletes and a purge's choice run on the writer thread: a large session's delete, the
    // WAL truncation after it and a retention walk must not hold the event loop. A purge's
    // removal comes in slices bounded in time (`PURGE_SLICE_BUDGET_MS`), as short as a small
    // batch: here they never wait for the lock, nor make this connection's appends wait.
    if (
      task.kind !== 'writeBatch' &&
      task.kind !== 'writeCheckpoint' &&
      task.kind !== 'purgeRemove'
    ) {
      return undefined;
    }
    if (task.kind === 'writeBatch') {
      const n = task.ids.length;
      if (n > this.config.inlineWriteRows) return undefined;
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += task.jsons[i]!.length;
      if (bytes > INLINE_WRITE_BYTES) return undefined;
    }
    const frames = this.wal.read();
    const most = this.config.maxWalFrames ?? WAL_RESTART_FRAMES;
    if (frames === undefined || frames >= most) return undefined;
    return this.run(task);
  }

  /** Whether the WAL has reached the checkpoint interval (also when its size is unknown). */
  walDue(): boolean {
    const frames = this.wal.read();
    return frames === undefined || frames >= this.checkpointFrames;
  }

  read<T extends Task>(task: T): TaskOutcome<T> | undefined {
    if (this.disabled || this.config.inlineReadRows === 0) return undefined;
    if (task.kind === 'readPage' || task.kind === 'readFeed') {
      return this.run({
        ...task,
        limit: Math.min(task.limit, this.config.inlineReadRows),
        maxBytes: Math.min(task.maxBytes, INLINE_READ_BYTES),
      });
    }
    return this.run(task);
  }

  /** This connection's `PRAGMA data_version`, or `undefined` when it cannot be read. */
  dataVersion(): number | undefined {
    if (this.disabled) return undefined;
    const result = this.handle({ kind: 'dataVersion' });
    return isTaskFailure(result) ? undefined : result;
  }

  private get checkpointFrames(): number {
    return this.config.checkpointFrames ?? WAL_AUTOCHECKPOINT_PAGES;
  }

  close(): void {
    this.handle({ kind: 'close' });
    this.wal.close();
  }

  private run<T extends Task>(task: T): TaskOutcome<T> | undefined {
    const result = this.handle(task);
    return isTaskFailure(result) && isBusyCode(result.code) ? undefined : result;
  }
}
