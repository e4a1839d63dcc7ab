import { closeSync, open as openCallback, openSync } from 'node:fs';
import { promisify } from 'node:util';

const openAsync = promisify(openCallback);
const OUT_OF_DESCRIPTORS = new Set(['EMFILE', 'ENFILE']);

/**
 * Descriptors of session files open for appending, least recently used
 * first, at most `limit`. Only handles live here (a session's seq and ids are
 * in `SessionStates`), so closing one costs a reopen, never a rescan.
 * Reopening an existing file and closing are synchronous: on a local file
 * system they take microseconds, less than a round trip through libuv's thread
 * pool. Creating a file can take a millisecond (a journal update): `create`
 * does that through the thread pool, off the event loop.
 */
export class SessionHandles {
  private readonly fds = new Map<string, number>();
  /** Files opened so far (a reopen after eviction is one): tests and measurements read it. */
  opens = 0;

  constructor(private max: number) {}

  get size(): number {
    return this.fds.size;
  }

  /** Most handles kept open: `maxOpenFiles`, or less once the process ran out of descriptors. */
  get limit(): number {
    return this.max;
  }

  /** The open descriptor, if any, marked most recently used. */
  get(sessionId: string): number | undefined {
    const fd = this.fds.get(sessionId);
    if (fd !== undefined) {
      this.fds.delete(sessionId);
      this.fds.set(sessionId, fd);
    }
    return fd;
  }

  /**
   * Opens `path` for the session, closing least recently used handles not in
   * `pinned` to stay within the limit. Out of descriptors (EMFILE), the cache
   * lowers its limit for good to half the handles it holds, closes what it may
   * and tries once more; if that fails too (all pinned), the caller writes what
   * it has and comes back with fewer pinned. A process with a low `ulimit -n`
   * thus works, with fewer open files.
   */
  open(sessionId: string, path: string, flags: number, pinned: ReadonlySet<string>): number {
    const cached = this.get(sessionId);
    if (cached !== undefined) return cached;
    this.evict(pinned);
    let fd: number;
    try {
      fd = openSync(path, flags, 0o644);
    } catch (error) {
      if (!this.shrinkAfter(error, pinned)) throw error;
      fd = openSync(path, flags, 0o644);
    }
    return this.added(sessionId, fd);
  }

  /** As `open`, through the thread pool: for `O_CREAT`, which may wait on the file system's journal. */
  async create(
    sessionId: string,
    path: string,
    flags: number,
    pinned: ReadonlySet<string>,
  ): Promise<number> {
    const cached = this.get(sessionId);
    if (cached !== undefined) return cached;
    this.evict(pinned);
    let fd: number;
    try {
      fd = await openAsync(path, flags, 0o644);
    } catch (error) {
      if (!this.shrinkAfter(error, pinned)) throw error;
      fd = await openAsync(path, flags, 0o644);
    }
    return this.added(sessionId, fd);
  }

  close(sessionId: string): void {
    const fd = this.fds.get(sessionId);
    if (fd === undefined) return;
    this.fds.delete(sessionId);
    closeQuietly(fd);
  }

  closeAll(): void {
    for (const fd of this.fds.values()) closeQuietly(fd);
    this.fds.clear();
  }

  private added(sessionId: string, fd: number): number {
    this.opens++;
    this.fds.set(sessionId, fd);
    return fd;
  }

  /** After EMFILE/ENFILE: halves the limit and closes handles to fit; false if that cannot help. */
  private shrinkAfter(error: unknown, pinned: ReadonlySet<string>): boolean {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined || !OUT_OF_DESCRIPTORS.has(code) || this.fds.size === 0) return false;
    this.max = Math.max(1, Math.floor(this.fds.size / 2));
    this.evict(pinned);
    return true;
  }

  /** Closes least recently used handles not in `pinned` until one more fits. */
  private evict(pinned: ReadonlySet<string>): void {
    if (this.fds.size < this.max) return;
    for (const [sessionId, fd] of this.fds) {
      if (this.fds.size < this.max) return;
      if (pinned.has(sessionId)) continue;
      this.fds.delete(sessionId);
      closeQuietly(fd);
    }
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing was pending on it (writes are awaited before a handle can be evicted).
  }
}
