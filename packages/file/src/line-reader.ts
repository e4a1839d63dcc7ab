import type { FileHandle } from 'node:fs/promises';

/** A complete line (newline excluded) and the byte offset where it starts. */
export interface Line {
  offset: number;
  text: string;
}

export const CHUNK_BYTES = 256 * 1024;
/** Forward reads start at CHUNK_BYTES and double up to this: few reads for long streams. */
const MAX_CHUNK_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Complete lines of `[start, end)` in file order, a chunk at a time. Bytes
 * after the last newline (a torn line) are never yielded. The first `skip`
 * lines are stepped over without being decoded. A newline byte never occurs
 * inside a multi-byte UTF-8 sequence, so splitting bytes is safe.
 */
export async function* readLinesForward(
  fd: FileHandle,
  start: number,
  end: number,
  skip = 0,
): AsyncGenerator<Line[]> {
  let pos = start;
  let carry: Buffer | undefined;
  let chunkBytes = CHUNK_BYTES;
  while (pos < end) {
    const want = Math.min(chunkBytes, end - pos);
    chunkBytes = Math.min(chunkBytes * 2, MAX_CHUNK_BYTES);
    // The partial line carried over goes first in the new buffer: no concat of the whole chunk.
    const carried = carry?.length ?? 0;
    const data = Buffer.allocUnsafe(carried + want);
    carry?.copy(data, 0);
    const { bytesRead } = await fd.read(data, carried, want, pos);
    if (bytesRead === 0) return; // The file shrank under us: nothing more to read.
    const base = pos - carried;
    pos += bytesRead;
    const length = carried + bytesRead;
    const lines: Line[] = [];
    let i = 0;
    for (;;) {
      const nl = data.indexOf(NEWLINE, i);
      if (nl < 0 || nl >= length) break;
      if (skip > 0) skip--;
      else lines.push({ offset: base + i, text: data.toString('utf8', i, nl) });
      i = nl + 1;
    }
    carry = i < length ? data.subarray(i, length) : undefined;
    if (lines.length > 0) yield lines;
  }
}

/**
 * Complete lines of `[start, end)` in reverse order, reading chunks from the
 * end; `start` must be a line start. Bytes after the last newline (a torn line)
 * are skipped.
 */
export async function* readLinesBackward(
  fd: FileHandle,
  start: number,
  end: number,
  chunkBytes = CHUNK_BYTES,
): AsyncGenerator<Line[]> {
  let pos = end;
  let carry: Buffer | undefined;
  let dropping = true; // Until the last newline is found, bytes belong to a torn line.
  while (pos > start) {
    const want = Math.min(chunkBytes, pos - start);
    const chunk = Buffer.allocUnsafe(want);
    const { bytesRead } = await fd.read(chunk, 0, want, pos - want);
    if (bytesRead < want) throw new Error(`file shrank while reading backward at ${pos - want}`);
    pos -= want;
    const data = carry ? Buffer.concat([chunk, carry]) : chunk;
    let lineEnd = data.length; // Exclusive; data[lineEnd - 1] is a newline.
    if (dropping) {
      const last = data.lastIndexOf(NEWLINE);
      if (last < 0) {
        carry = undefined;
        continue;
      }
      dropping = false;
      lineEnd = last + 1;
    }
    const lines: Line[] = [];
    while (lineEnd >= 2) {
      const nl = data.lastIndexOf(NEWLINE, lineEnd - 2);
      if (nl < 0) break;
      lines.push({ offset: pos + nl + 1, text: data.toString('utf8', nl + 1, lineEnd - 1) });
      lineEnd = nl + 1;
    }
    if (pos === start) {
      if (lineEnd > 0) lines.push({ offset: pos, text: data.toString('utf8', 0, lineEnd - 1) });
      carry = undefined;
    } else {
      carry = data.subarray(0, lineEnd);
    }
    if (lines.length > 0) yield lines;
  }
}
