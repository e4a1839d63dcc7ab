import { sessionFiles } from './session-files.js';
import { loadSession, type SessionState } from './session-state.js';

/**
 * Sessions open for appending, least recently used first. Evicting a session
 * closes its handle and forgets its state; the next append to it reloads both
 * with one scan, so `maxOpenFiles` trades memory and handles for rescans.
 */
export class SessionCache {
  private readonly open = new Map<string, SessionState>();

  constructor(
    private readonly root: string,
    private readonly maxOpenFiles: number,
    private readonly durable: boolean,
  ) {}

  /** The loaded state, if any, without touching the LRU order. */
  peek(sessionId: string): SessionState | undefined {
    return this.open.get(sessionId);
  }

  /** The loaded state, if any, marked most recently used. */
  touch(sessionId: string): SessionState | undefined {
    const cached = this.open.get(sessionId);
    if (cached) {
      this.open.delete(sessionId);
      this.open.set(sessionId, cached);
    }
    return cached;
  }

  /** The session's state, loaded on first touch; evicts others, but never one in `pinned`. */
  async get(sessionId: string, pinned: ReadonlySet<string>): Promise<SessionState> {
    const cached = this.touch(sessionId);
    if (cached) return cached;
    await this.evictFor(pinned);
    const state = await loadSession(sessionId, sessionFiles(this.root, sessionId), this.durable);
    this.open.set(sessionId, state);
    return state;
  }

  /** Closes and forgets a session, e.g. after a failed write left its state uncertain. */
  async drop(sessionId: string): Promise<void> {
    const state = this.open.get(sessionId);
    if (!state) return;
    this.open.delete(sessionId);
    await state.fd.close().catch(() => {});
  }

  async closeAll(): Promise<void> {
    const states = [...this.open.values()];
    this.open.clear();
    await Promise.all(states.map((s) => s.fd.close().catch(() => {})));
  }

  private async evictFor(pinned: ReadonlySet<string>): Promise<void> {
    for (const id of this.open.keys()) {
      if (this.open.size < this.maxOpenFiles) return;
      if (!pinned.has(id)) await this.drop(id);
    }
  }
}
