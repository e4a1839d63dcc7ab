import { openConnection } from '../connection.js';
import { SqliteReader } from '../sqlite-reader.js';
import { SqliteWriter } from '../sqlite-writer.js';
import type { Task, TaskFailure, TaskOutcome, TaskResults } from './tasks.js';

export interface HandlerConfig {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
  /**
   * `writer` owns a read-write connection; `reader` a read-only one; `inline` one connection
   * for both (`worker: false`); `main` one connection for both on the event loop's thread
   * beside the worker threads: it never waits for a lock and never checkpoints (below).
   */
  role: 'writer' | 'reader' | 'inline' | 'main';
}

export type TaskHandler = <T extends Task>(task: T) => TaskOutcome<T>;

/**
 * Runs tasks synchronously on one connection, opened lazily. Failures are
 * returned as data (`TaskFailure`) so the SQLite error code survives the
 * trip back from a worker thread.
 */
export function createTaskHandler(config: HandlerConfig): TaskHandler {
  let writer: SqliteWriter | undefined;
  let reader: SqliteReader | undefined;
  const open = () => {
    const db = openConnection({ ...config, readonly: config.role === 'reader' });
    if (config.role === 'main') {
      // A lock held elsewhere fails at once (SQLITE_BUSY) instead of blocking the event
      // loop: the caller hands that task to a worker thread, which may wait. WAL
      // checkpoints are left to the writer thread's connection.
      db.pragma('wal_autocheckpoint = 0');
    }
    if (config.role === 'main' || config.role === 'writer') {
      // The writer thread waits for the write lock itself, polling (see SqliteWriter).
      db.pragma('busy_timeout = 0');
    }
    if (config.role !== 'reader') {
      // Erasure is real (deleteSession, purges): freed cells and pages are zeroed, not left
      // in free space. On every write connection, as b-tree rebalancing on insert frees
      // cells too. It costs memory writes to pages already dirty, no extra I/O on appends.
      db.pragma('secure_delete = ON');
      writer = new SqliteWriter(db, {
        optimize: config.role !== 'main',
        lockWaitMs: config.role === 'writer' ? config.busyTimeoutMs : 0,
      });
    }
    if (config.role !== 'writer') reader = new SqliteReader(db);
  };
  const perform = (task: Task): TaskResults[Task['kind']] => {
    if (task.kind === 'close') {
      writer?.close();
      reader?.close();
      writer = undefined;
      reader = undefined;
      return null;
    }
    if (!writer && !reader) open();
    switch (task.kind) {
      case 'open':
        return null;
      case 'holdLock':
        writer!.holdLock();
        return null;
      case 'checkpointWal':
        writer!.checkpointWal();
        return null;
      case 'writeBatch':
        return writer!.writeBatch(task);
      case 'writeCheckpoint':
        writer!.writeCheckpoint(task);
        return null;
      case 'readPage':
        return reader!.readPage(task);
      case 'readFeed':
        return reader!.readFeed(task);
      case 'readCheckpoint':
        return reader!.readCheckpoint(task);
      case 'getSession':
        return reader!.getSession(task);
      case 'listSessions':
        return reader!.listSessions(task);
      case 'deleteSession':
        return writer!.deleteSession(task);
      case 'purgeChoose':
        return writer!.purgeChoose(task);
      case 'purgeRemove':
        return writer!.purgeRemove(task);
      case 'dataVersion':
        return reader!.dataVersion();
    }
  };
  return <T extends Task>(task: T): TaskOutcome<T> => {
    try {
      // Each case above returns its own kind's result; TypeScript cannot narrow the generic
      // T by its discriminant, so this is the one place that says so.
      return perform(task) as TaskResults[T['kind']];
    } catch (error) {
      const e = error as { message?: unknown; code?: unknown };
      const failure: TaskFailure = {
        failed: true,
        message: String(e?.message ?? error),
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
      };
      return failure;
    }
  };
}

export function isTaskFailure(value: unknown): value is TaskFailure {
  return typeof value === 'object' && value !== null && (value as TaskFailure).failed === true;
}
