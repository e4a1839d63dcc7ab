import { MAX_INSTANT_MS, parseIsoTimestamp } from './iso-timestamp.js';

/**
 * When an event with `ttlMs` expires: `occurredAt + ttlMs`, or never (`undefined`) when
 * that lies past the last instant the store represents (9999-12-31).
 */
export function expiryOf(occurredAtMs: number, ttlMs: number | undefined): number | undefined {
  if (ttlMs === undefined) return undefined;
  const at = occurredAtMs + ttlMs;
  return at > MAX_INSTANT_MS ? undefined : at;
}

/** Whether a stored envelope has expired at `now` (epoch ms). */
export function isExpired(
  envelope: { occurredAt?: unknown; ttlMs?: unknown },
  now: number,
): boolean {
  if (typeof envelope.ttlMs !== 'number' || typeof envelope.occurredAt !== 'string') return false;
  const occurredAtMs = parseIsoTimestamp(envelope.occurredAt);
  if (occurredAtMs === undefined) return false;
  const at = expiryOf(occurredAtMs, envelope.ttlMs);
  return at !== undefined && at <= now;
}
