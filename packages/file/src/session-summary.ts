import type { SessionMeta } from './meta-line.js';
import type { RecordLine } from './record-line.js';

/** What `listSessions` and `getSession` tell of a session (`StoredSession` without its id). */
export interface SessionSummary {
  lastSeq: number;
  eventCount: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * A session's summary from the ends of its file alone: its meta line (if it was
 * compacted), first and last record lines. Appends give contiguous seqs after
 * the last one (a compaction's meta keeps it), so the lines appended since a
 * compaction number `last.seq - meta.lastSeq`, and an uncompacted file holds
 * `last.seq - first.seq + 1`. `undefined` when the file holds no session (empty:
 * created for an append that was not written).
 */
export function summarize(
  meta: SessionMeta | undefined,
  first: RecordLine | undefined,
  last: RecordLine | undefined,
): SessionSummary | undefined {
  if (!meta) {
    if (!first || !last) return undefined;
    return {
      lastSeq: last.seq,
      eventCount: last.seq - first.seq + 1,
      createdAt: first.createdAt,
      updatedAt: last.createdAt,
    };
  }
  const appended = last && last.seq > meta.lastSeq ? last : undefined;
  return {
    lastSeq: appended?.seq ?? meta.lastSeq,
    eventCount: meta.count + (appended ? appended.seq - meta.lastSeq : 0),
    createdAt: meta.createdAt,
    updatedAt: appended?.createdAt ?? meta.updatedAt,
  };
}
