// The worker thread of compact-thread.ts: runs each compaction's copy step (copy-kept.ts)
// and answers with its result or its failure.
import { parentPort } from 'node:worker_threads';
import { type CopyTask, copyKept } from './copy-kept.js';
import { lowerThreadPriority } from './thread-priority.js';

/**
 * A compaction is background work: where it and the event loop's thread both want a core, the
 * appends waiting on the event loop must win (RocksDB lowers its compaction threads' CPU
 * priority for the same reason). A thread at nice 10 gets about a tenth of a contended core.
 */
const COMPACT_THREAD_NICE = 10;

lowerThreadPriority(COMPACT_THREAD_NICE);

parentPort?.on('message', (task: CopyTask) => {
  copyKept(task).then(
    (result) => parentPort?.postMessage({ result }),
    (error: NodeJS.ErrnoException) =>
      parentPort?.postMessage({ error: { message: error.message, code: error.code } }),
  );
});
