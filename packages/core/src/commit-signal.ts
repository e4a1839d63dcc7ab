/** The key a feed follows: commits to any session. */
export const ALL_SESSIONS: unique symbol = Symbol('all sessions');

/** A followed session, or `ALL_SESSIONS`. */
export type FollowKey = string | typeof ALL_SESSIONS;

/**
 * Tells followers of a session (or of every session: the feed) that the store committed new events to it. Counts commits
 * only for sessions someone follows (an entry lives while it has followers), so a store
 * appending to millions of sessions keeps nothing for them. A follower takes the count
 * before it reads and waits for it to move after: a commit between the read and the wait
 * is never missed.
 */
export class CommitSignal {
  private readonly sessions = new Map<
    FollowKey,
    { commits: number; followers: number; wakers: Set<() => void> }
  >();
  private closed = false;
  private followers = 0;
  private stopWatching: (() => void) | undefined;

  /**
   * `watch`: the backend's `watchCommits`, run while anyone follows: commits it reports (by
   * other connections and processes, sessions unknown) wake every follower.
   */
  constructor(private readonly watch?: (onCommit: () => void) => () => void) {}

  /** Registers a follower of `sessionId`; `leave` undoes it. */
  join(sessionId: FollowKey): void {
    const entry = this.sessions.get(sessionId);
    if (entry) entry.followers++;
    else this.sessions.set(sessionId, { commits: 0, followers: 1, wakers: new Set() });
    if (this.followers++ === 0 && this.watch && !this.closed) {
      this.stopWatching = this.watch(() => this.notify(this.sessions.keys()));
    }
  }

  leave(sessionId: FollowKey): void {
    const entry = this.sessions.get(sessionId);
    if (entry && --entry.followers === 0) this.sessions.delete(sessionId);
    if (--this.followers === 0) this.unwatch();
  }

  /** Whether any stream follows: until one does, commits need not be reported at all. */
  get following(): boolean {
    return this.followers > 0;
  }

  /** Commits seen so far for a joined session. */
  commits(sessionId: FollowKey): number {
    return this.sessions.get(sessionId)?.commits ?? 0;
  }

  /** New events were committed to these sessions (`ALL_SESSIONS` among them or not). */
  notify(sessionIds: Iterable<FollowKey>): void {
    let any = false;
    for (const sessionId of sessionIds) {
      any = true;
      if (sessionId !== ALL_SESSIONS) this.bump(sessionId);
    }
    if (any) this.bump(ALL_SESSIONS);
  }

  private bump(key: FollowKey): void {
    const entry = this.sessions.get(key);
    if (!entry) return;
    entry.commits++;
    for (const wake of entry.wakers) wake();
  }

  /**
   * Resolves once the session's commit count differs from `seen`, after `pollMs` (commits
   * by other stores and processes are found by reading again), when `signal` aborts or when
   * the store closes; at once if one of those happened already.
   */
  wait(sessionId: FollowKey, seen: number, pollMs: number, signal?: AbortSignal): Promise<void> {
    const entry = this.sessions.get(sessionId);
    if (!entry || entry.commits !== seen || this.closed || signal?.aborted) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        entry.wakers.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, pollMs);
      entry.wakers.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  /** Wakes every follower: the store is closing. */
  close(): void {
    this.closed = true;
    this.unwatch();
    for (const entry of this.sessions.values()) {
      for (const wake of [...entry.wakers]) wake();
    }
  }

  private unwatch(): void {
    const stop = this.stopWatching;
    this.stopWatching = undefined;
    stop?.();
  }
}
