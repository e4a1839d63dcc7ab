import { closeSync, openSync } from 'node:fs';
import { ClosedError } from '@history/core';

/**
 * A descriptor a running `stream` reads from. The store may close it under a
 * stream whose consumer stopped pulling: from then on every use throws
 * `ClosedError`, and the descriptor is closed at once, or as soon as the one
 * asynchronous read in flight on it settles, so no read ever reaches a
 * descriptor number the process has reused for another file.
 */
export class ReadHandle {
  /** Set once the stream released it or the store closed it: no read may start. */
  closed = false;
  private inFlight = 0;
  private released = false;
  private onReleased: (() => void) | undefined;

  constructor(
    private readonly descriptor: number,
    private readonly owner: ReadHandles,
  ) {}

  /** The descriptor for a synchronous read; `ClosedError` once closed. */
  get fd(): number {
    if (this.closed) throw new ClosedError('stream');
    return this.descriptor;
  }

  /** Runs an asynchronous read on the descriptor, which stays open until it settles. */
  async read<T>(start: (fd: number) => Promise<T>): Promise<T> {
    const fd = this.fd;
    this.inFlight++;
    try {
      return await start(fd);
    } finally {
      if (--this.inFlight === 0 && this.closed) this.release();
    }
  }

  /** Closes it (idempotent); resolves once the descriptor itself is closed. */
  close(): Promise<void> {
    this.closed = true;
    if (this.inFlight === 0) this.release();
    if (this.released) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.onReleased;
      this.onReleased = () => {
        previous?.();
        resolve();
      };
    });
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.forget(this);
    try {
      closeSync(this.descriptor);
    } catch {
      // Nothing was pending on it: no read runs once `inFlight` is 0.
    }
    this.onReleased?.();
  }
}

/** Every read handle open in a store, so that `close()` releases those of abandoned streams. */
export class ReadHandles {
  private readonly open = new Set<ReadHandle>();
  private closed = false;

  /** Handles open now (tests read it). */
  get size(): number {
    return this.open.size;
  }

  /** Opens `path` for reading (synchronously), or `undefined` when it does not exist. */
  openFile(path: string): ReadHandle | undefined {
    if (this.closed) throw new ClosedError('stream');
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const handle = new ReadHandle(fd, this);
    this.open.add(handle);
    return handle;
  }

  forget(handle: ReadHandle): void {
    this.open.delete(handle);
  }

  /** Closes every handle; streams still running end with `ClosedError`. */
  async closeAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.open].map((handle) => handle.close()));
  }
}
