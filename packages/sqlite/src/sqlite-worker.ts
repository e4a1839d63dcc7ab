import { workerData } from 'node:worker_threads';
import { createTaskHandler, type HandlerConfig } from './task-handler.js';
import type { Task } from './tasks.js';

/** Piscina entry point: one connection per thread, opened on its first task. */
const handle = createTaskHandler(workerData as HandlerConfig);

export default function run(task: Task): unknown {
  return handle(task);
}
