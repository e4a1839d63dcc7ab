import Database from 'better-sqlite3';
import { isBusyCode } from './is-transient.js';
import { sleepSync } from './sleep-sync.js';

export interface ConnectionOptions {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
  readonly?: boolean;
}

/**
 * Opens a connection with the pragmas every connection of the store uses.
 * Retries for up to `busyTimeoutMs` when another process holds a lock: some
 * set-up steps (switching a new file to WAL while another process does the
 * same) report SQLITE_BUSY without consulting busy_timeout.
 */
export function openConnection(options: ConnectionOptions): Database.Database {
  const deadline = Date.now() + options.busyTimeoutMs;
  for (;;) {
    try {
      return configure(options);
    } catch (error) {
      if (!isBusyCode((error as { code?: unknown })?.code) || Date.now() >= deadline) throw error;
      // A synchronous pause, as SQLite's own busy handler does; opening is synchronous anyway.
      sleepSync(10);
    }
  }
}

/**
 * WAL checkpoint interval, in 4-KiB pages (16 MiB). It was 32,768 while a per-event id-hash
 * index took random inserts (a rarer checkpoint wrote each hot index page back once for many
 * batches: 1.7-2x faster ingest past 500,000 rows). Since migration 0003 there is no such
 * index: ingesting 1,000,000 events with random UUIDs over 100 sessions ran 46-37k ev/s per
 * quarter at 4,096 against 53-34k at 32,768, while a 128 MiB WAL made each checkpoint long
 * enough to halve the main thread's small commits for its duration (README, "Measured").
 */
export const WAL_AUTOCHECKPOINT_PAGES = 4096;

/**
 * WAL size (frames, 256 MiB) at which the main thread stops committing and a batch on the
 * writer thread finishes the checkpoint so that the WAL restarts: the appends of that batch
 * wait for the last frames' copy and its fsyncs (2-7 ms here). Background checkpoints copy
 * the WAL every `WAL_AUTOCHECKPOINT_PAGES` meanwhile, so how far apart the restarts are does
 * not change how much each one copies, only how often appends pay for one. At 8,192 frames
 * the WAL restarted 12 times a second under 4 producers' single appends to long sessions, and
 * beside a purge those stalls were most of the appends' slowest 1% (README).
 */
export const WAL_RESTART_FRAMES = 16 * WAL_AUTOCHECKPOINT_PAGES;

function configure(options: ConnectionOptions): Database.Database {
  const db = new Database(options.filename, {
    readonly: options.readonly ?? false,
    timeout: options.busyTimeoutMs,
  });
  try {
    // Set busy_timeout before anything that may take a lock (journal_mode needs one).
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
    // Memory-mapped reads skip a pread and a copy per page: about half the time
    // of a 1,000-row page read (scripts/measure-schema.mjs). Address space only.
    db.pragma('mmap_size = 1073741824');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
