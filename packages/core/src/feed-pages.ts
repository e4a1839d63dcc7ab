import { ALL_SESSIONS, type CommitSignal } from './commit-signal.js';
import { ClosedError } from './errors/closed-error.js';
import type { HistoryBackend, StoredFeedEntry } from './history-backend.js';

/** Entries asked of the backend per feed page (pages are bounded by bytes as well). */
export const FEED_PAGE_SIZE = 1000;

export interface FeedPlan {
  backend: HistoryBackend;
  after?: string;
  limit?: number;
  /** False: the entries committed now, then the end. */
  follow: boolean;
  commits: CommitSignal;
  pollMs: number;
  signal?: AbortSignal;
  isClosed(): boolean;
}

/**
 * The feed's pages in commit order, each read after the previous page's position, so
 * nothing is skipped or repeated; once caught up (an empty page at the same position) it
 * ends, or, following, waits for a commit by this store, the poll interval (other stores
 * and processes), the signal or the store closing, and reads again. Ends when `signal`
 * aborts; throws `HISTORY_CLOSED` when the store closes.
 */
export async function* feedPages(plan: FeedPlan): AsyncGenerator<readonly StoredFeedEntry[]> {
  const { backend, commits, signal } = plan;
  let { after } = plan;
  // A hint for page sizes only: the consumer's iterator enforces the limit, since it may
  // drop an entry that expired after the page was read.
  let left = plan.limit ?? Number.POSITIVE_INFINITY;
  if (plan.follow) commits.join(ALL_SESSIONS);
  try {
    for (;;) {
      const seen = commits.commits(ALL_SESSIONS);
      let page: Awaited<ReturnType<HistoryBackend['readFeed']>>;
      try {
        page = await backend.readFeed({
          ...(after === undefined ? {} : { after }),
          limit: Math.max(1, Math.min(FEED_PAGE_SIZE, left)),
        });
      } catch (error) {
        // A read cut off by close(): to the consumer, the store closed.
        if (plan.isClosed()) throw new ClosedError('feed');
        throw error;
      }
      const { entries } = page;
      const next = page.position ?? entries[entries.length - 1]?.position ?? after;
      if (entries.length > 0) {
        after = next;
        left -= entries.length;
        yield entries;
        if (signal?.aborted) return;
        continue;
      }
      // Only rows the feed does not deliver: read on from past them.
      if (next !== after) {
        after = next;
        continue;
      }
      if (!plan.follow) return;
      // Resolves at once when the signal aborted or the store closed already.
      await commits.wait(ALL_SESSIONS, seen, plan.pollMs, signal);
      if (signal?.aborted) return;
      if (plan.isClosed()) throw new ClosedError('feed');
    }
  } finally {
    if (plan.follow) commits.leave(ALL_SESSIONS);
  }
}
