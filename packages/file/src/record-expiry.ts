import type { RecordLine } from './record-line.js';

/**
 * When a record expires (epoch ms), or `undefined` if never. Lines carry it in
 * their head (`exp`) since layout 2. Layout 1 wrote none, so in a store
 * upgraded from it (`legacy`) a line without `exp` whose envelope mentions
 * `ttlMs` has its envelope parsed once to compute it, as core does
 * (`occurredAt + ttlMs`): old events expire like new ones, with no rewrite of
 * old files. Other lines cost one substring search, and nothing at all in a
 * store created with layout 2.
 */
export function recordExpiry(record: RecordLine, legacy: boolean): number | undefined {
  if (record.exp !== undefined || !legacy || !record.json.includes('"ttlMs"')) return record.exp;
  let ttlMs: unknown;
  try {
    ttlMs = (JSON.parse(record.json) as { ttlMs?: unknown }).ttlMs;
  } catch {
    return undefined;
  }
  return typeof ttlMs === 'number' && Number.isFinite(ttlMs) ? record.at + ttlMs : undefined;
}
