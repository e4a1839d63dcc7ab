import Database from 'better-sqlite3';

export interface ConnectionOptions {
  filename: string;
  durability: 'normal' | 'full';
  busyTimeoutMs: number;
  readonly?: boolean;
}

/** Opens a connection with the pragmas every connection of the store uses. */
export function openConnection(options: ConnectionOptions): Database.Database {
  const db = new Database(options.filename, {
    readonly: options.readonly ?? false,
    timeout: options.busyTimeoutMs,
  });
  // Set busy_timeout before anything that may take a lock (journal_mode needs one).
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  }
  return db;
}
