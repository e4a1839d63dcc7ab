import { unlinkSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PurgeResult } from '@history/core';
import { type PurgeRequest, yieldIfDue } from '@history/core/backend';
import {
  type Committed,
  type CompactionResult,
  type CompactionStep,
  compactSession,
} from './compact-session.js';
import type { CopyResult, CopyTask } from './copy-kept.js';
import { type ExpiryStats, mayDrop, mergeStats, scanExpiryStats } from './expiry-stats.js';
import type { SessionCatalog } from './session-catalog.js';
import { type SessionFiles, sessionFiles } from './session-files.js';
import type { SessionHandles } from './session-handles.js';
import type { SessionState } from './session-state.js';
import type { SessionStates } from './session-states.js';

/** A purge chunk lets the event loop turn after this many sessions looked at. */
const YIELD_SESSIONS = 32;
/** Ids forgotten between two looks at the clock (see `forgetDropped`)... */
const FORGET_PER_LOOK = 64;
/** ...and the longest stretch of forgetting, in ms, before the event loop turns. */
const FORGET_TURN_MS = 0.05;

/** What a purger needs from its store. */
export interface PurgerContext {
  root: string;
  durable: boolean;
  /** Upgraded from layout 1 (see record-expiry.ts). */
  legacy: boolean;
  catalog: SessionCatalog;
  states: SessionStates;
  handles: SessionHandles;
  /** Runs a compaction's copy step (on the store's compaction thread). */
  copy(task: CopyTask): Promise<CopyResult>;
  /**
   * Runs `task` after the batch being written, holding only the session: batches writing to
   * it wait, the others go on.
   */
  onSession<T>(sessionId: string, task: () => Promise<T>): Promise<T>;
  /** What is committed of a session now (called between two batches). */
  committed(sessionId: string, files: SessionFiles): Promise<Committed>;
  /** True once the store is closing: a chunk stops at its next session. */
  closing(): boolean;
  /** The session's file was replaced: handles of the old one must go. */
  replaced(sessionId: string): void;
}

/**
 * Runs purge chunks (one at a time: the store serialises them): rounds over the
 * sessions in id order, compacting each one with something to remove (see
 * compact-session.ts), and remembering per session how far it read its file and
 * the earliest expiry and `occurredAt` there, so later rounds read only what was
 * appended since and skip a session with nothing to remove yet. That memory is
 * in-process only: the first round after opening reads every session file once.
 */
export class SessionPurger {
  /** The last session a round finished: where the next chunk goes on. */
  private cursor: string | undefined;
  private readonly memory = new Map<string, { end: number; stats: ExpiryStats }>();
  /** The session being compacted: its temp file is not a crash's leftover. */
  private compacting: string | undefined;
  /**
   * Tests observe (and crash tests kill the process at) each step of a compaction; a promise
   * returned holds the compaction at that step until it settles.
   */
  onStep: ((step: CompactionStep, sessionId: string) => void | Promise<void>) | undefined;

  constructor(private readonly context: PurgerContext) {}

  /**
   * One chunk: stops once `limit` events were removed (`done: false`; one session's rewrite
   * may remove up to `maxEvents`), or at the last session
   * (`done: true`, the next chunk starts a new round). A chunk that removes nothing always
   * goes to the end: core takes it for done.
   */
  async chunk(request: PurgeRequest): Promise<PurgeResult> {
    let deletedEvents = 0;
    let sessions = 0;
    for (let looked = 1; ; looked++) {
      const sessionId = await this.context.catalog.next(this.cursor);
      if (sessionId === undefined) {
        this.cursor = undefined;
        return { deletedEvents, sessions, done: true };
      }
      if (deletedEvents >= request.limit || this.context.closing()) {
        return { deletedEvents, sessions, done: false };
      }
      // A rewrite is of a whole session: it takes all it may (the caller's budget), not a
      // chunk's worth, or a large session would be rewritten once per chunk.
      const quota = Math.max(request.limit, request.maxEvents ?? request.limit) - deletedEvents;
      const result = await this.compact(sessionId, request, quota);
      deletedEvents += result.dropped;
      if (result.dropped > 0) sessions++;
      if (result.more) return { deletedEvents, sessions, done: false };
      this.cursor = sessionId;
      // Small files are read synchronously: appends and reads get turns between sessions.
      if (looked % YIELD_SESSIONS === 0 || result.dropped > 0) await nextTurn();
    }
  }

  /** The session was deleted: what was read of its file no longer holds. */
  forget(sessionId: string): void {
    this.memory.delete(sessionId);
  }

  /** On a session's load: a compaction temp file is a crash's leftover unless one runs now. */
  removeStaleTemp(sessionId: string, files: SessionFiles): void {
    if (this.compacting === sessionId) return;
    try {
      unlinkSync(files.compactTemp);
    } catch {
      // None (the usual case): a compaction's temp file is only left by a crash.
    }
  }

  private async compact(
    sessionId: string,
    request: PurgeRequest,
    quota: number,
  ): Promise<CompactionResult> {
    const { context } = this;
    const files = sessionFiles(context.root, sessionId);
    this.compacting = sessionId;
    let forgotten: SessionState | undefined;
    try {
      const { now, maxAgeMs, maxEventsPerSession } = request;
      const result = await compactSession({
        files,
        durable: context.durable,
        rule: { now, maxAgeMs, maxEventsPerSession },
        legacy: context.legacy,
        quota,
        worthIt: (committed) => this.worthIt(sessionId, files, committed, request),
        copy: context.copy,
        exclusive: (task) =>
          context.onSession(sessionId, async () => task(await context.committed(sessionId, files))),
        forget: async (ids) => {
          forgotten = await this.forgetDropped(sessionId, ids);
        },
        failed: () => context.states.drop(sessionId),
        swapped: ({ dropped, size, lines }) => {
          // The writer's handle is of the replaced file: the next append opens the new one.
          context.handles.close(sessionId);
          context.replaced(sessionId);
          const state = context.states.peek(sessionId);
          if (!state) return;
          // Loaded since `forget` (from the old file): the next append reads the new one.
          if (state !== forgotten) {
            context.states.drop(sessionId);
            return;
          }
          state.size = size;
          state.lines = lines;
          if (state.summary) state.summary.eventCount -= dropped;
        },
        onStep: (step) => this.onStep?.(step, sessionId),
      });
      if (result.more) this.memory.delete(sessionId);
      else if (result.keptEnd !== undefined && result.kept) {
        this.memory.set(sessionId, { end: result.keptEnd, stats: result.kept });
      }
      return result;
    } finally {
      this.compacting = undefined;
    }
  }

  /**
   * The writer forgets the ids of the records a compaction removes, before its rename: in
   * the step that holds the writer, a thousand of them took 0.12 ms of its 0.3 ms. Appends
   * go on between slices: one that reuses an id not forgotten yet is a duplicate (its record
   * is still there), one that reuses an id forgotten is a new record, copied to the new file
   * with the lines appended since. Returns the state it forgot them in (one reloaded from the
   * old file since holds them all again: `swapped` drops it).
   */
  private async forgetDropped(
    sessionId: string,
    ids: readonly string[],
  ): Promise<SessionState | undefined> {
    const { states } = this.context;
    const state = states.peek(sessionId);
    if (!state) return undefined;
    for (let i = 0; i < ids.length; ) {
      await yieldIfDue(FORGET_TURN_MS);
      // Dropped (its ids no longer counted), maybe reloaded, meanwhile: `swapped` sees to it.
      if (states.peek(sessionId) !== state) return undefined;
      let forgotten = 0;
      for (const end = Math.min(ids.length, i + FORGET_PER_LOOK); i < end; i++) {
        if (state.seqById.delete(ids[i]!)) forgotten++;
      }
      states.grew(-forgotten);
    }
    // The step that holds the writer comes next: in a turn of its own.
    await yieldIfDue(FORGET_TURN_MS);
    return state;
  }

  /** From what was read before and the lines appended since: could anything go? */
  private async worthIt(
    sessionId: string,
    files: SessionFiles,
    committed: Committed,
    request: PurgeRequest,
  ): Promise<boolean> {
    const known = this.memory.get(sessionId);
    if (!known || known.end > committed.size || !committed.summary) return true;
    const since = await scanExpiryStats(files.data, known.end, committed.size, this.context.legacy);
    if (!since) return true;
    const stats = mergeStats(known.stats, since.stats);
    this.memory.set(sessionId, { end: since.end, stats });
    return mayDrop(stats, committed.summary, request);
  }
}
