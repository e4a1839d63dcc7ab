import { ClosedError } from '@history/core';
import { createTaskHandler, isTaskFailure } from './task-handler.js';
import type { TaskRunner } from './task-runner.js';
import type { Task, TaskOutcome } from './tasks.js';

/** `worker: false`: one connection on the calling thread, for tests and tiny tools. */
export function createInlineRunner(config: {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
}): TaskRunner {
  const handle = createTaskHandler({ ...config, role: 'inline' });
  // The handler would reopen its connection for a task after close(): refuse instead.
  let closed = false;
  const run = async <T extends Task>(task: T): Promise<TaskOutcome<T>> => {
    if (closed) throw new ClosedError(task.kind);
    return handle(task);
  };
  return {
    write: run,
    read: run,
    dataVersion: () => {
      if (closed) return undefined;
      const result = handle({ kind: 'dataVersion' });
      return isTaskFailure(result) ? undefined : result;
    },
    close: async () => {
      closed = true;
      handle({ kind: 'close' });
    },
  };
}
