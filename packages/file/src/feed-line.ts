import type { FeedRun } from './feed-runs.js';

/**
 * Lines of the feed index file (`feed.idx`, text):
 * - a run: `[position,firstSeq,count,offset,bytes,"sessionId"]`: no event data, only where
 *   the run's records are;
 * - a mark: `{"next":N}`, written by a clean close and at the end of every rewrite: the
 *   file is consistent with the session files up to it, and positions go on from `N` at
 *   least (a position once handed out is never handed out again).
 * The file is clean when its last line is a mark; otherwise the store crashed and open
 * reconciles it with the session files (see reconcile-feed.ts).
 */
export type FeedLine = { run: FeedRun } | { next: number };

export function runLine(run: FeedRun): string {
  const { position, firstSeq, count, offset, bytes, sessionId } = run;
  return `[${position},${firstSeq},${count},${offset},${bytes},${JSON.stringify(sessionId)}]\n`;
}

export function markLine(next: number): string {
  return `{"next":${next}}\n`;
}

/** Parses one line (without its newline), or `undefined` when it is not a valid feed line. */
export function parseFeedLine(text: string): FeedLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (Array.isArray(value)) {
    const [position, firstSeq, count, offset, bytes, sessionId] = value as unknown[];
    const counts = [position, firstSeq, count, offset, bytes];
    if (value.length !== 6 || typeof sessionId !== 'string') return undefined;
    if (!counts.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) return undefined;
    if ((position as number) < 1 || (firstSeq as number) < 1 || (count as number) < 1) {
      return undefined;
    }
    return {
      run: {
        position: position as number,
        firstSeq: firstSeq as number,
        count: count as number,
        offset: offset as number,
        bytes: bytes as number,
        sessionId,
      },
    };
  }
  const next = (value as { next?: unknown } | null)?.next;
  return Number.isSafeInteger(next) && (next as number) >= 1 ? { next: next as number } : undefined;
}
