/**
 * What a compaction keeps of the lines it removed: the first line of a
 * compacted session file, so that purging never loses the session's last seq,
 * creation or update time (the file's remaining lines no longer tell them).
 */
export interface SessionMeta {
  /** The session's last seq when it was compacted. */
  lastSeq: number;
  /** Record lines the compacted file kept. */
  count: number;
  createdAt: string;
  updatedAt: string;
}

const META_MARK = '{"meta":';

/** The meta line, newline included. Timestamps come from `Date#toISOString` (nothing to escape). */
export function metaLine(meta: SessionMeta): string {
  return `${META_MARK}2,"lastSeq":${meta.lastSeq},"count":${meta.count},"createdAt":"${meta.createdAt}","updatedAt":"${meta.updatedAt}"}\n`;
}

export function isMetaLine(text: string): boolean {
  return text.startsWith(META_MARK);
}

/** Parses a meta line (without its newline), or `undefined` when it is not one. */
export function parseMetaLine(text: string): SessionMeta | undefined {
  if (!isMetaLine(text)) return undefined;
  let value: Partial<SessionMeta>;
  try {
    value = JSON.parse(text) as Partial<SessionMeta>;
  } catch {
    return undefined;
  }
  const { lastSeq, count, createdAt, updatedAt } = value;
  if (
    !Number.isSafeInteger(lastSeq) ||
    !Number.isSafeInteger(count) ||
    typeof createdAt !== 'string' ||
    typeof updatedAt !== 'string'
  ) {
    return undefined;
  }
  return { lastSeq: lastSeq!, count: count!, createdAt, updatedAt };
}
