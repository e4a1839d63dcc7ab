import { once } from 'node:events';

/** Text chunks up to this size are gathered before one write: one syscall per 64 KiB, not per line. */
const CHUNK_CHARS = 64 * 1024;

/**
 * Buffered, backpressure-aware text output (stdout, a file, a gzip stream): `write` waits
 * when the stream's buffer is full, so a slow reader of a pipe slows the command down
 * instead of growing its memory.
 */
export class Output {
  private buffer = '';

  constructor(readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {}

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  /** Terminal width, or `undefined` for a pipe or file (nothing is cut then). */
  get columns(): number | undefined {
    return this.isTTY ? (this.stream.columns ?? 80) : undefined;
  }

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length >= CHUNK_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer === '') return;
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
}
