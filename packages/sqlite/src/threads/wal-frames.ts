import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

/** `iVersion` of the WAL-index header SQLite has written since 3.7.0. */
const WAL_INDEX_VERSION = 3_007_000;

/**
 * Reads how many frames the database's WAL holds, from the WAL-index header
 * at the start of `<filename>-shm` (https://www.sqlite.org/walformat.html:
 * `iVersion` at byte 0, `isInit` at 12, `mxFrame` at 16, native byte order).
 * One 20-byte pread, so the main thread can tell, before writing a batch,
 * that the WAL is due for a checkpoint and leave that batch (and its
 * checkpoint) to the writer thread. Returns `undefined` when the header
 * cannot be read or is not recognised: the caller then never writes inline.
 */
export class WalFrames {
  private fd: number | undefined;
  private readonly header = Buffer.alloc(20);
  private readonly little = endianness() === 'LE';

  constructor(filename: string) {
    try {
      this.fd = openSync(`${filename}-shm`, 'r');
    } catch {
      this.fd = undefined;
    }
  }

  read(): number | undefined {
    if (this.fd === undefined) return undefined;
    const h = this.header;
    try {
      if (readSync(this.fd, h, 0, 20, 0) !== 20) return undefined;
    } catch {
      return undefined;
    }
    const version = this.little ? h.readUInt32LE(0) : h.readUInt32BE(0);
    if (version !== WAL_INDEX_VERSION || h[12] !== 1) return undefined;
    return this.little ? h.readUInt32LE(16) : h.readUInt32BE(16);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
