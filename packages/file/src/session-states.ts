import type { SessionState } from './session-state.js';

/**
 * What the writer knows of the sessions it appended to (end offset, last
 * seq, id map), least recently used first, bounded by the number of ids held
 * over all sessions. Dropping a state costs one scan of that session's file on
 * its next append; it never affects open handles.
 */
export class SessionStates {
  private readonly states = new Map<string, SessionState>();
  /** Ids held over all states. */
  private ids = 0;

  constructor(private readonly maxIds: number) {}

  /** Sessions held. */
  get size(): number {
    return this.states.size;
  }

  /** Ids held over all sessions. */
  get idCount(): number {
    return this.ids;
  }

  /** The state, if any, without touching the LRU order (readers use it). */
  peek(sessionId: string): SessionState | undefined {
    return this.states.get(sessionId);
  }

  /** The state, if any, marked most recently used. */
  get(sessionId: string): SessionState | undefined {
    const state = this.states.get(sessionId);
    if (state) {
      this.states.delete(sessionId);
      this.states.set(sessionId, state);
    }
    return state;
  }

  add(state: SessionState): void {
    this.drop(state.sessionId);
    this.states.set(state.sessionId, state);
    this.ids += state.seqById.size;
  }

  /** Records ids added to a held state (the writer commits them). */
  grew(ids: number): void {
    this.ids += ids;
  }

  drop(sessionId: string): void {
    const state = this.states.get(sessionId);
    if (!state) return;
    this.states.delete(sessionId);
    this.ids -= state.seqById.size;
  }

  /** Drops least recently used states beyond the bound, never one in `pinned` (the batch's). */
  trim(pinned: { has(sessionId: string): boolean }): void {
    if (this.ids <= this.maxIds) return;
    for (const [sessionId, state] of this.states) {
      if (this.ids <= this.maxIds) return;
      if (pinned.has(sessionId)) continue;
      this.states.delete(sessionId);
      this.ids -= state.seqById.size;
    }
  }

  clear(): void {
    this.states.clear();
    this.ids = 0;
  }
}
