import { workerData } from 'node:worker_threads';
import { createTaskHandler, type HandlerConfig } from './task-handler.js';
import type { Task, TaskOutcome } from './tasks.js';

/** One connection per thread, opened as the thread starts so no read or write pays for it. */
const handle = createTaskHandler(workerData as HandlerConfig);
// A failure here is not lost: the first task tries again and reports it.
handle({ kind: 'open' });

export default function run(task: Task): TaskOutcome<Task> {
  return handle(task);
}
