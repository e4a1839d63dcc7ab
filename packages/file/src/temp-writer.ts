import { startsIndexBlock } from './session-index.js';
import { writeAllSync } from './write-all-sync.js';

/** Bytes buffered before a write to the temp file. */
const WRITE_BYTES = 1024 * 1024;

/** Where a temp file's writing stands: what a writer picking it up again needs. */
export interface TempFileState {
  size: number;
  lines: number;
  blockOffsets: number[];
}

/** Buffered writes to the temp file, counting lines and bytes for the index. */
export class TempWriter implements TempFileState {
  size = 0;
  lines = 0;
  blockOffsets: number[] = [];
  private parts: string[] = [];
  private buffered = 0;

  /** Writes at `from`'s end (a temp file another thread began), or from the start. */
  constructor(
    private readonly fd: number,
    from?: TempFileState,
  ) {
    if (from) {
      this.size = from.size;
      this.lines = from.lines;
      this.blockOffsets = [...from.blockOffsets];
    }
  }

  line(text: string): void {
    if (startsIndexBlock(this.lines)) this.blockOffsets.push(this.size + this.buffered);
    this.lines++;
    const bytes = Buffer.byteLength(text, 'utf8');
    this.parts.push(text);
    this.buffered += bytes;
    if (this.buffered >= WRITE_BYTES) this.flush();
  }

  /** Writes what is buffered; true when there was something. */
  flush(): boolean {
    if (this.buffered === 0) return false;
    const buffer = Buffer.from(this.parts.join(''), 'utf8');
    writeAllSync(this.fd, buffer, this.size);
    this.size += buffer.length;
    this.parts = [];
    this.buffered = 0;
    return true;
  }
}
