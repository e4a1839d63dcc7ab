import { nonNegativeInteger, optionsRecord } from './call-options.js';
import { InvalidArgumentError } from './errors/invalid-argument-error.js';
import { parseIsoTimestamp } from './iso-timestamp.js';

/** A validated `HistoryRange`, with time bounds as epoch milliseconds. */
export interface NormalizedRange {
  direction: 'forward' | 'backward';
  after?: number;
  fromMs?: number;
  toMs?: number;
  limit?: number;
}

const KEYS = new Set(['from', 'to', 'after', 'limit', 'direction']);

/** Validates a range argument, or throws `InvalidArgumentError` naming the field. */
export function normalizeRange(range: unknown, field = 'range'): NormalizedRange {
  const r = optionsRecord(range, field, KEYS);
  if (r === undefined) return { direction: 'forward' };
  const out: NormalizedRange = { direction: 'forward' };
  if (r.direction !== undefined) {
    if (r.direction !== 'forward' && r.direction !== 'backward') {
      throw new InvalidArgumentError(`${field}.direction`, "expected 'forward' or 'backward'");
    }
    out.direction = r.direction;
  }
  for (const key of ['after', 'limit'] as const) {
    const v = nonNegativeInteger(r[key], `${field}.${key}`);
    if (v !== undefined) out[key] = v;
  }
  for (const [key, target] of [
    ['from', 'fromMs'],
    ['to', 'toMs'],
  ] as const) {
    const v = r[key];
    if (v === undefined) continue;
    const ms = typeof v === 'string' ? parseIsoTimestamp(v) : undefined;
    if (ms === undefined) {
      throw new InvalidArgumentError(
        `${field}.${key}`,
        'expected an ISO-8601 timestamp with offset between years 0001 and 9999 UTC',
      );
    }
    out[target] = ms;
  }
  return out;
}

/** True when a record passes the range's time bounds. */
export function inTimeRange(occurredAtMs: number, range: NormalizedRange): boolean {
  return (
    (range.fromMs === undefined || occurredAtMs >= range.fromMs) &&
    (range.toMs === undefined || occurredAtMs <= range.toMs)
  );
}
