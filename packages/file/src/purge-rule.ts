import type { PurgeRequest } from '@history/core/backend';
import { recordExpiry } from './record-expiry.js';
import type { RecordLine } from './record-line.js';
import type { SessionSummary } from './session-summary.js';

/**
 * Which records a purge removes: expired at `now`, older than `maxAgeMs`, or
 * beyond the newest `maxEventsPerSession` of their session (`index` counts the
 * session's records from its oldest, `summary` gives their number).
 */
export function purgeRule(
  request: PurgeRequest,
  legacy: boolean,
): (record: RecordLine, index: number, summary: SessionSummary) => boolean {
  const { now, maxAgeMs, maxEventsPerSession } = request;
  return (record, index, summary) => {
    const expiry = recordExpiry(record, legacy);
    if (expiry !== undefined && expiry <= now) return true;
    if (maxAgeMs !== undefined && record.at <= now - maxAgeMs) return true;
    return maxEventsPerSession !== undefined && index < summary.eventCount - maxEventsPerSession;
  };
}
