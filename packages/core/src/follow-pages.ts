import type { CommitSignal } from './commit-signal.js';
import { ClosedError } from './errors/closed-error.js';
import type { HistoryBackend, StoredRecord } from './history-backend.js';
import type { NormalizedRange } from './history-range.js';

export interface FollowPlan {
  backend: HistoryBackend;
  sessionId: string;
  range: NormalizedRange;
  /** False: the pages stored now, then the end (a stream with only a signal). */
  follow: boolean;
  commits: CommitSignal;
  pollMs: number;
  signal?: AbortSignal;
  isClosed(): boolean;
}

/**
 * A session's pages in seq order, then, once caught up, the pages of events committed
 * after, for as long as the follower reads: each round reads after the last seq yielded, so
 * nothing is skipped or repeated across the catch-up/live boundary (a session's seqs
 * commit in order on every backend). Between rounds it waits for a commit by this store,
 * the poll interval (other stores and processes), the signal or the store closing. Ends when
 * `signal` aborts; throws `HISTORY_CLOSED` when the store closes.
 */
export async function* followPages(plan: FollowPlan): AsyncGenerator<readonly StoredRecord[]> {
  const { backend, sessionId, commits, signal } = plan;
  let after = plan.range.after;
  if (plan.follow) commits.join(sessionId);
  try {
    for (;;) {
      const seen = commits.commits(sessionId);
      try {
        for await (const page of backend.readPages(sessionId, { ...plan.range, after })) {
          if (page.length === 0) continue;
          after = page[page.length - 1]!.seq;
          yield page;
          if (signal?.aborted) return;
        }
      } catch (error) {
        // A read cut off by close(): to the follower, the store closed.
        if (plan.isClosed()) throw new ClosedError('stream');
        throw error;
      }
      if (!plan.follow) return;
      // Resolves at once when the signal aborted or the store closed already.
      await commits.wait(sessionId, seen, plan.pollMs, signal);
      if (signal?.aborted) return;
      if (plan.isClosed()) throw new ClosedError('stream');
    }
  } finally {
    if (plan.follow) commits.leave(sessionId);
  }
}
