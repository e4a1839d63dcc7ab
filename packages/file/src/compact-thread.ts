import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CopyResult, CopyTask } from './copy-kept.js';

/**
 * The built worker script. Tests run this module from `src`, where only the TypeScript
 * exists: the worker then runs the package's build, which they need anyway (fixtures
 * import it too).
 */
function workerUrl(): URL {
  const beside = new URL('./compact-worker.js', import.meta.url);
  return existsSync(fileURLToPath(beside))
    ? beside
    : new URL('../dist/compact-worker.js', import.meta.url);
}

/**
 * One worker thread for a store's compactions, started at the first and ended by `close()`:
 * reading a session's file, picking what to remove and copying the rest took 4-5 ms of the
 * event loop per 1,000-event session, and appends waited behind it (bench README,
 * "Lifecycle"). A purge runs one compaction at a time, so one thread and one task in flight.
 * The thread keeps the process alive only while a task runs.
 */
export class CompactThread {
  private worker: Worker | undefined;
  private pending: { resolve(result: CopyResult): void; reject(error: Error): void } | undefined;

  run(task: CopyTask): Promise<CopyResult> {
    if (this.pending) return Promise.reject(new Error('compact-thread: one task at a time'));
    const worker = this.start();
    worker.ref();
    return new Promise<CopyResult>((resolve, reject) => {
      this.pending = { resolve, reject };
      worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.settle({ error: { message: 'compact-thread: closed' } });
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerUrl());
    worker.on('message', (message: Answer) => this.settle(message));
    // A thread that dies fails its task; the next task starts a new one.
    worker.on('error', (error) => this.failed(worker, error));
    worker.on('exit', (code) => this.failed(worker, new Error(`compact-thread: exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private failed(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.settle({ error: { message: error.message } });
  }

  private settle(answer: Answer): void {
    const pending = this.pending;
    this.pending = undefined;
    this.worker?.unref();
    if (!pending) return;
    if ('result' in answer) pending.resolve(answer.result);
    else
      pending.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
  }
}

type Answer = { result: CopyResult } | { error: { message: string; code?: string } };
