// SQLSTATE classes and codes worth a retry: the batch is rolled back and appends
// are idempotent by (session, id), so a retry can never duplicate.
const TRANSIENT_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

const TRANSIENT_NODE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/** True for errors caused by a lost connection, a deadlock or a serialisation conflict. */
export function isTransientPgError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_CODES.has(code) || TRANSIENT_NODE_CODES.has(code)) return true;
    if (code.startsWith('08')) return true; // connection_exception class
  }
  // pg reports a dropped socket without a code.
  const message = (error as { message?: unknown }).message;
  return (
    typeof message === 'string' &&
    /Connection terminated|not queryable|connection error|timeout exceeded when trying to connect/i.test(
      message,
    )
  );
}
