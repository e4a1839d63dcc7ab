import { WAL_AUTOCHECKPOINT_PAGES } from '../connection.js';
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
  /** WAL size (frames) from which a checkpoint is due (`walDue`). Default: `LANE_CHECKPOINT_FRAMES`. */
  checkpointFrames?: number;
  /**
   * WAL size (frames) from which writes go to the writer thread, whose commits then
   * checkpoint (checkpoints have not kept up). Default: its `wal_autocheckpoint`.
   */
  maxWalFrames?: number;
}

/**
 * While the main thread writes, the WAL is checkpointed from 4,096 frames (16 MiB) on, not
 * at the writer's 32,768: a checkpoint running beside the main thread's commits slowed
 * them to about half while it lasted, and a 128 MiB one lasted long enough to take the
 * bench's 16-producer figure from about 46,000 to 39,000 ev/s (4,096: 45,900 ev/s on
 * average over three runs, 32,768: 38,800). Bulk batches, written on the writer thread,
 * keep its 32,768-frame interval, chosen for ingest at scale.
 */
export const LANE_CHECKPOINT_FRAMES = 4096;

/** Bytes of JSON a batch written on the main thread may hold: about a millisecond of work. */
export const INLINE_WRITE_BYTES = 256 * 1024;
/** Bytes of JSON a first page read on the main thread may hold: a few milliseconds at most. */
export const INLINE_READ_BYTES = 1024 * 1024;

/**
 * Short tasks run synchronously on a connection of the main thread, skipping
 * the round trip to a worker thread, which costs more than a small batch's
 * own work. Each method returns `undefined` when the task must go to a worker
 * instead: too large, `durability: 'full'` (an fsync per commit), a WAL that
 * has grown to the writer's checkpoint interval (checkpoints have not kept up:
 * the writer thread's own commits then checkpoint), or a lock held by another
 * connection (this one never waits for it). A task refused for a lock rolled
 * back and wrote nothing, so the worker runs it afresh. This connection never
 * checkpoints: `walDue` tells the caller when to have the writer thread do it.
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
    if (task.kind === 'writeBatch') {
      const n = task.ids.length;
      if (n > this.config.inlineWriteRows) return undefined;
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += task.jsons[i]!.length;
      if (bytes > INLINE_WRITE_BYTES) return undefined;
    }
    const frames = this.wal.read();
    const most = this.config.maxWalFrames ?? WAL_AUTOCHECKPOINT_PAGES;
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
    if (task.kind === 'readPage') {
      return this.run({
        ...task,
        limit: Math.min(task.limit, this.config.inlineReadRows),
        maxBytes: Math.min(task.maxBytes, INLINE_READ_BYTES),
      });
    }
    return this.run(task);
  }

  private get checkpointFrames(): number {
    return this.config.checkpointFrames ?? LANE_CHECKPOINT_FRAMES;
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
