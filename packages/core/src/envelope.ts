/** One event an agent session produced. Field set is seed-compatible. */
export interface Envelope {
  id: string;
  type: string;
  payload: unknown;
  /** ISO-8601 timestamp with an offset (`Z` or `±hh:mm`). */
  occurredAt: string;
  /** Session the event belongs to; the store's `defaultSessionId` when absent. */
  sessionId?: string;
  source?: string;
  traceId?: string;
  ttlMs?: number;
  headers?: Record<string, unknown>;
}
