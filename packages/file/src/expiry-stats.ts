import { closeSync, openSync } from 'node:fs';
import type { PurgeRequest } from '@history/core/backend';
import { readLinesForward } from './line-reader.js';
import { parseMetaLine } from './meta-line.js';
import { recordExpiry } from './record-expiry.js';
import { parseRecordLine, type RecordLine } from './record-line.js';
import type { SessionSummary } from './session-summary.js';

/**
 * The earliest expiry and `occurredAt` over some records of a session: what a
 * purge round remembers of a file it read, so that later rounds read only the
 * lines appended since and skip a session with nothing to remove yet.
 */
export interface ExpiryStats {
  /** Epoch ms; `Infinity` when no record expires. */
  minExpiry: number;
  minAt: number;
}

export function emptyStats(): ExpiryStats {
  return { minExpiry: Number.POSITIVE_INFINITY, minAt: Number.POSITIVE_INFINITY };
}

export function addRecord(stats: ExpiryStats, record: RecordLine, legacy: boolean): void {
  const expiry = recordExpiry(record, legacy);
  if (expiry !== undefined && expiry < stats.minExpiry) stats.minExpiry = expiry;
  if (record.at < stats.minAt) stats.minAt = record.at;
}

export function mergeStats(a: ExpiryStats, b: ExpiryStats): ExpiryStats {
  return { minExpiry: Math.min(a.minExpiry, b.minExpiry), minAt: Math.min(a.minAt, b.minAt) };
}

/** Whether a purge with `request` could remove anything from records with these stats. */
export function mayDrop(
  stats: ExpiryStats,
  summary: SessionSummary,
  request: PurgeRequest,
): boolean {
  const { now, maxAgeMs, maxEventsPerSession } = request;
  if (stats.minExpiry <= now) return true;
  if (maxAgeMs !== undefined && stats.minAt <= now - maxAgeMs) return true;
  return maxEventsPerSession !== undefined && summary.eventCount > maxEventsPerSession;
}

/**
 * Stats of the complete record lines of `[from, to)` of the file at `path`
 * (`from` a line start) and the end of the last one, or `undefined` when a line
 * does not read.
 */
export async function scanExpiryStats(
  path: string,
  from: number,
  to: number,
  legacy: boolean,
): Promise<{ end: number; stats: ExpiryStats } | undefined> {
  const stats = emptyStats();
  let end = from;
  const fd = openSync(path, 'r');
  try {
    for await (const lines of readLinesForward(fd, from, to)) {
      for (const line of lines) {
        if (line.offset === 0 && parseMetaLine(line.text)) continue;
        const record = parseRecordLine(line.text);
        if (!record) return undefined;
        addRecord(stats, record, legacy);
        end = line.offset + Buffer.byteLength(line.text, 'utf8') + 1;
      }
    }
  } finally {
    closeSync(fd);
  }
  return { end, stats };
}
