/** Whether a SQLite result code (extended codes included) means another connection holds a lock. */
export function isBusyCode(code: unknown): boolean {
  return (
    typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
  );
}
