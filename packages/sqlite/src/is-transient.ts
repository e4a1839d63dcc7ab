/** Whether a SQLite result code (extended codes included) means another connection holds a lock. */
export function isBusyCode(code: unknown): boolean {
  return (
    typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
  );
}

/** Whether a better-sqlite3 error is worth retrying: another connection held the lock too long. */
export function isTransientSqliteError(error: unknown): boolean {
  return isBusyCode((error as { code?: unknown } | null)?.code);
}
