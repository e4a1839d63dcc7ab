// The worker thread of compact-thread.ts: runs each compaction's copy step (copy-kept.ts)
// and answers with its result or its failure.
import { parentPort } from 'node:worker_threads';
import { type CopyTask, copyKept } from './copy-kept.js';

parentPort?.on('message', (task: CopyTask) => {
  copyKept(task).then(
    (result) => parentPort?.postMessage({ result }),
    (error: NodeJS.ErrnoException) =>
      parentPort?.postMessage({ error: { message: error.message, code: error.code } }),
  );
});
