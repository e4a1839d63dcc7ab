import { ClosedError } from '@history/core';
import { Piscina } from 'piscina';
import type { HandlerConfig } from './task-handler.js';
import type { TaskRunner } from './task-runner.js';
import type { Task } from './tasks.js';

/**
 * One writer thread (a piscina pool of exactly one) owns the write
 * connection, so batches never contend inside the process; a pool of reader
 * threads with read-only connections serves pages and checkpoints. WAL lets
 * them read while the writer commits.
 */
export function createThreadRunner(config: {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
  readers: number;
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
  // A destroyed piscina pool would start new threads for later tasks: refuse them instead
  // (a stream still being consumed after close() ends with HISTORY_CLOSED).
  let closed = false;
  const guard = (task: Task) => {
    if (closed) throw new ClosedError(task.kind);
  };
  return {
    write: async (task) => {
      guard(task);
      return writer.run(task);
    },
    read: async (task) => {
      guard(task);
      return readers.run(task);
    },
    async close() {
      closed = true;
      // Close the write connection cleanly (checkpoints the WAL), then end the threads.
      try {
        await writer.run({ kind: 'close' });
      } finally {
        await Promise.all([writer.destroy(), readers.destroy()]);
      }
    },
  };
}
