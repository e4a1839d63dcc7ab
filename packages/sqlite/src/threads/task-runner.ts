import type { Task, TaskOutcome } from './tasks.js';

/** Where SQLite tasks run: worker threads, or inline on the calling thread. */
export interface TaskRunner {
  /** Runs on the single write connection, one task at a time. */
  write<T extends Task>(task: T): Promise<TaskOutcome<T>>;
  /**
   * Runs on a read connection. `short`: the first page of a stream or a checkpoint,
   * which may be served on the main thread when small enough.
   */
  read<T extends Task>(task: T, short?: boolean): Promise<TaskOutcome<T>>;
  /**
   * `PRAGMA data_version` of one connection of the calling thread (always the same one), at
   * once; `undefined` when there is none.
   */
  dataVersion(): number | undefined;
  /** Closes every connection and ends every thread. */
  close(): Promise<void>;
}
