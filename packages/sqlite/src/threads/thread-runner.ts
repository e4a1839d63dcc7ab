import { ClosedError } from '@history/core';
import { Piscina } from 'piscina';
import { MainThreadLane } from './main-thread-lane.js';
import type { HandlerConfig } from './task-handler.js';
import type { TaskRunner } from './task-runner.js';
import type { Task } from './tasks.js';

/**
 * One writer thread (a piscina pool of exactly one) owns the worker-side
 * write connection; a pool of reader threads with read-only connections
 * serves pages and checkpoints. WAL lets them read while the writer commits.
 * Small batches, first pages and checkpoints run on the main thread's own
 * connection instead when it accepts them (`MainThreadLane`): core's writer
 * runs one batch at a time, so the two write connections take turns.
 */
export function createThreadRunner(config: {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
  readers: number;
  inlineWriteRows: number;
  inlineReadRows: number;
  /** See `MainThreadLaneConfig` (tests make it small). */
  checkpointFrames?: number;
}): TaskRunner {
  const filename = new URL('./sqlite-worker-entry.cjs', import.meta.url).href;
  const base = {
    filename: config.filename,
    durability: config.durability,
    busyTimeoutMs: config.busyTimeoutMs,
  };
  const writer = new Piscina({
    filename,
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData: { ...base, role: 'writer' } satisfies HandlerConfig,
  });
  const readers = new Piscina({
    filename,
    // All reader threads start with the store and stay: starting one on demand
    // (loading modules, opening a connection) would land in some read's latency.
    minThreads: config.readers,
    maxThreads: config.readers,
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData: { ...base, role: 'reader' } satisfies HandlerConfig,
  });
  // A thread that fails outside a task (e.g. at start-up) would otherwise be an
  // uncaught 'error' event; the tasks it cannot run reject on their own.
  writer.on('error', () => {});
  readers.on('error', () => {});
  const lane = new MainThreadLane(config);
  // A destroyed piscina pool would start new threads for later tasks: refuse them instead
  // (a stream still being consumed after close() ends with HISTORY_CLOSED).
  let closed = false;
  const guard = (task: Task) => {
    if (closed) throw new ClosedError(task.kind);
  };
  // A task still running on a thread when close() destroys the pools rejects with piscina's
  // "Terminating worker thread": to the caller that is the store closing, not a storage fault.
  const onThread = async (pool: Piscina, task: Task) => {
    try {
      return await pool.run(task);
    } catch (error) {
      if (closed) throw new ClosedError(task.kind);
      throw error;
    }
  };
  // A PASSIVE checkpoint on the writer thread runs beside the main thread's commits instead
  // of stopping them: routing the batch that found the WAL due to the writer thread (whose
  // commit then checkpointed) held every append for the whole checkpoint, ~150 ms per
  // 128 MiB of WAL. One at a time; the next write that finds the WAL still due asks again.
  let checkpointing: Promise<unknown> | undefined;
  const checkpointIfDue = () => {
    if (checkpointing || closed || !lane.walDue()) return;
    checkpointing = onThread(writer, { kind: 'checkpointWal' })
      .catch(() => {
        // Busy or failed: the WAL stays due and a later write asks again.
      })
      .finally(() => {
        checkpointing = undefined;
      });
  };
  return {
    write: async (task) => {
      guard(task);
      const result = lane.write(task);
      if (result === undefined) return onThread(writer, task);
      checkpointIfDue();
      return result;
    },
    read: async (task, short) => {
      guard(task);
      if (short) {
        // Core lets the event loop turn between back-to-back reads served here (loop budget).
        const result = lane.read(task);
        if (result !== undefined) return result;
      }
      return onThread(readers, task);
    },
    dataVersion: () => (closed ? undefined : lane.dataVersion()),
    async close() {
      closed = true;
      try {
        // A connection that closes while no other holds a lock checkpoints the whole WAL:
        // the writer thread's takes a lock first, so the main thread's closes at once and
        // the writer's, closing last, checkpoints on its own thread.
        await writer.run({ kind: 'holdLock' });
        lane.close();
        await writer.run({ kind: 'close' });
      } finally {
        lane.close();
        await Promise.all([writer.destroy(), readers.destroy()]);
      }
    },
  };
}
