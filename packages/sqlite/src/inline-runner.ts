import { createTaskHandler } from './task-handler.js';
import type { TaskRunner } from './task-runner.js';

/** `worker: false`: one connection on the calling thread, for tests and tiny tools. */
export function createInlineRunner(config: {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
}): TaskRunner {
  const handle = createTaskHandler({ ...config, role: 'inline' });
  return {
    write: async (task) => handle(task),
    read: async (task) => handle(task),
    close: async () => {
      handle({ kind: 'close' });
    },
  };
}
