import type { Task } from './tasks.js';

/** Where SQLite tasks run: worker threads, or inline on the calling thread. */
export interface TaskRunner {
  /** Runs on the single write connection, one task at a time. */
  write(task: Task): Promise<unknown>;
  /**
   * Runs on a read connection. `short`: the first page of a stream or a checkpoint,
   * which may be served on the main thread when small enough.
   */
  read(task: Task, short?: boolean): Promise<unknown>;
  /** Closes every connection and ends every thread. */
  close(): Promise<void>;
}
