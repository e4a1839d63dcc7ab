import { fstatSync } from 'node:fs';
import type { ReadHandle, ReadHandles } from './read-handles.js';

/** A session file's handle lent to one feed page, until `release()`. */
export interface FeedLease {
  handle: ReadHandle;
  release(): void;
}

interface Kept {
  handle: ReadHandle;
  /** Pages reading through it now. */
  users: number;
  /** Evicted: closed once its last page releases it. */
  dropped: boolean;
}

/**
 * Session files' read handles kept from one feed page to the next: with small batches a
 * page of 1,000 records touches a hundred sessions for about ten records each, and opening
 * and closing each file once per page cost more than reading it. A handle is only valid
 * while its file is in place: the store evicts it when the file is replaced (a purge's
 * rewrite) or removed (a delete), so a later page never reads the old file (and its erased
 * lines are not kept alive on disk by an idle handle). A page holding it then finishes on
 * it, as a page that opened the file itself would. At most `capacity` are kept, the least
 * recently used closed first.
 */
export class FeedHandles {
  /** In order of use, oldest first. */
  private readonly kept = new Map<string, Kept>();

  constructor(
    private readonly readHandles: ReadHandles,
    private readonly capacity: number,
    /**
     * A read-only store learns of no rewrite or delete: a kept handle whose file has no
     * name any more (`nlink` 0: renamed over or unlinked) is dropped when borrowed.
     */
    private readonly checkLinks = false,
  ) {}

  /** The session file's handle, opened when none is kept; `undefined` when there is no file. */
  borrow(sessionId: string, path: string): FeedLease | undefined {
    let kept = this.kept.get(sessionId);
    if (kept && this.checkLinks && fstatSync(kept.handle.fd).nlink === 0) {
      this.evict(sessionId);
      kept = undefined;
    }
    if (kept) {
      this.kept.delete(sessionId);
    } else {
      // A missing file is not remembered: a deleted session may get a new one.
      const handle = this.readHandles.openFile(path);
      if (!handle) return undefined;
      kept = { handle, users: 0, dropped: false };
    }
    this.kept.set(sessionId, kept);
    kept.users++;
    for (const [oldest] of this.kept) {
      if (this.kept.size <= this.capacity) break;
      this.evict(oldest);
    }
    const entry = kept;
    let released = false;
    return {
      handle: entry.handle,
      release: () => {
        if (released) return;
        released = true;
        if (--entry.users === 0 && entry.dropped) void entry.handle.close();
      },
    };
  }

  /** The session's file was replaced or removed: its handle goes (once no page reads it). */
  evict(sessionId: string): void {
    const kept = this.kept.get(sessionId);
    if (!kept) return;
    this.kept.delete(sessionId);
    kept.dropped = true;
    if (kept.users === 0) void kept.handle.close();
  }
}
