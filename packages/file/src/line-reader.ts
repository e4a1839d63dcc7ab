import { read, readSync } from 'node:fs';
import type { ReadHandle } from './read-handles.js';

/** A complete line (newline excluded) and the byte offset where it starts. */
export interface Line {
  offset: number;
  text: string;
}

/** Complete lines of a range as one string (each ending in a newline) and the byte offset of its start. */
export interface LineText {
  offset: number;
  text: string;
}

export const CHUNK_BYTES = 256 * 1024;
/** Forward reads start at CHUNK_BYTES and double up to this: few reads for long streams. */
const MAX_CHUNK_BYTES = 1024 * 1024;
/**
 * A range up to this many chunks (1 MiB by default) is read with one
 * synchronous read: a copy from the page cache of well under a millisecond,
 * cheaper than even one round trip through libuv's thread pool (which under
 * load costs more than the copy). Longer ranges go in chunks off the event loop.
 */
const WHOLE_READ_CHUNKS = 4;
const NEWLINE = 0x0a;
/**
 * Text is decoded in pieces of about this size, cut at newlines: V8 puts
 * strings over ~128 KiB in large-object space (fresh pages each time), where a
 * 1 MiB decode measured 6x slower than the same bytes in 64 KiB pieces.
 */
const PIECE_BYTES = 64 * 1024;

/**
 * One buffer for every whole-range read, reused: replaying small sessions
 * allocates no large buffers (whose external memory would trigger full GCs).
 * It is only ever used within one synchronous step (read, then decode).
 */
let scratch = Buffer.allocUnsafe(0);
function scratchBuffer(size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, 64 * 1024));
  return scratch;
}

/**
 * What the readers read: a bare descriptor (the writer's), or a stream's
 * handle, which the store may close under a paused stream (every read then
 * throws `ClosedError`).
 */
export type ReadSource = number | ReadHandle;

function readFrom(
  source: ReadSource,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): number {
  return readSync(
    typeof source === 'number' ? source : source.fd,
    buffer,
    offset,
    length,
    position,
  );
}

function readAsync(
  source: ReadSource,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  const start = (fd: number) =>
    new Promise<number>((resolve, reject) =>
      read(fd, buffer, offset, length, position, (error, bytesRead) =>
        error ? reject(error) : resolve(bytesRead),
      ),
    );
  return typeof source === 'number' ? start(source) : source.read(start);
}

/**
 * Decides, from its raw bytes (`data[at..]`, complete lines up to `length`),
 * whether a leading line is stepped over; called once per line, in order, until
 * it returns false.
 */
export type SkipWhile = (data: Buffer, at: number, length: number) => boolean;

/** Index of the first line at or after `from` in `data[..length)` that `skipWhile` keeps, or -1. */
function skipLines(data: Buffer, from: number, length: number, skipWhile: SkipWhile): number {
  let i = from;
  while (i < length && skipWhile(data, i, length)) {
    const nl = data.indexOf(NEWLINE, i);
    if (nl < 0 || nl >= length) return -1;
    i = nl + 1;
  }
  return i < length ? i : -1;
}

/**
 * Complete lines of `[start, end)` in file order, as strings of whole lines
 * (fewer, larger decodes than a string per line). Bytes after the last newline
 * (a torn line) are never yielded. Leading lines `skipWhile` accepts are
 * stepped over without being decoded. A newline byte never occurs inside a
 * multi-byte UTF-8 sequence, so cutting bytes at newlines is safe.
 */
export async function* readTextForward(
  fd: ReadSource,
  start: number,
  end: number,
  skipWhile?: SkipWhile,
  chunkBytes = CHUNK_BYTES,
): AsyncGenerator<LineText> {
  if (end - start <= chunkBytes * WHOLE_READ_CHUNKS) {
    const data = scratchBuffer(end - start);
    const length = readFrom(fd, data, 0, end - start, start);
    const last = length === 0 ? -1 : data.lastIndexOf(NEWLINE, length - 1);
    const from = skipWhile ? skipLines(data, 0, last + 1, skipWhile) : 0;
    // The scratch buffer holds stale bytes past `length`: never search beyond it.
    // Decoded before the first yield: the scratch buffer may be reused by then.
    if (from >= 0 && last >= from) yield* decodePieces(data, from, last + 1, start);
    return;
  }
  let skipping = skipWhile;
  for await (const { data, base, length } of chunksForward(fd, start, end, chunkBytes)) {
    let from = 0;
    if (skipping) {
      from = skipLines(data, 0, length, skipping);
      if (from < 0) continue; // Every line of this chunk is skipped.
      skipping = undefined;
    }
    if (from < length) yield* decodePieces(data, from, length, base);
  }
}

/** `data[from..to)` (whole lines) decoded in pieces of whole lines; `base` is the file offset of `data[0]`. */
function decodePieces(data: Buffer, from: number, to: number, base: number): LineText[] {
  const pieces: LineText[] = [];
  for (let start = from; start < to; ) {
    let end = start + PIECE_BYTES;
    if (end >= to) {
      end = to;
    } else {
      const nl = data.lastIndexOf(NEWLINE, end - 1);
      // A line longer than a piece is decoded whole.
      end = nl >= start ? nl + 1 : data.indexOf(NEWLINE, end) + 1;
    }
    pieces.push({ offset: base + start, text: data.toString('utf8', start, end) });
    start = end;
  }
  return pieces;
}

/**
 * Complete lines of `[start, end)` in file order with their byte offsets, a
 * chunk at a time (the loader needs offsets to cut a torn tail).
 */
export async function* readLinesForward(
  fd: ReadSource,
  start: number,
  end: number,
  chunkBytes = CHUNK_BYTES,
): AsyncGenerator<Line[]> {
  if (end - start <= chunkBytes * WHOLE_READ_CHUNKS) {
    const data = scratchBuffer(end - start);
    const length = readFrom(fd, data, 0, end - start, start);
    const lines = splitLines(data, start, length);
    if (lines.length > 0) yield lines;
    return;
  }
  for await (const { data, base, length } of chunksForward(fd, start, end, chunkBytes)) {
    yield splitLines(data, base, length);
  }
}

function splitLines(data: Buffer, base: number, length: number): Line[] {
  const lines: Line[] = [];
  let i = 0;
  for (;;) {
    const nl = data.indexOf(NEWLINE, i);
    if (nl < 0 || nl >= length) break;
    lines.push({ offset: base + i, text: data.toString('utf8', i, nl) });
    i = nl + 1;
  }
  return lines;
}

/**
 * Chunks of `[start, end)` cut after their last newline: `data[0..length)`
 * holds complete lines only, starting at byte `base` of the file. Each chunk
 * is its own buffer (the caller may decode it after an await). The next
 * chunk's read is started before this one is handed over, so the thread pool
 * reads while the consumer decodes and parses: two chunks at most in memory.
 * Leaving early waits for that read, so none is running once the fd may close.
 */
async function* chunksForward(
  fd: ReadSource,
  start: number,
  end: number,
  firstChunkBytes: number,
): AsyncGenerator<{ data: Buffer; base: number; length: number }> {
  let chunkBytes = firstChunkBytes;
  const readNext = (pos: number, carry: Buffer | undefined) => {
    const want = Math.min(chunkBytes, end - pos);
    chunkBytes = Math.max(chunkBytes, Math.min(chunkBytes * 2, MAX_CHUNK_BYTES));
    // The partial line carried over goes first in the new buffer: no concat of the whole chunk.
    const carried = carry?.length ?? 0;
    const data = Buffer.allocUnsafe(carried + want);
    carry?.copy(data, 0);
    const done = readAsync(fd, data, carried, want, pos).then((bytesRead) => ({
      data,
      base: pos - carried,
      pos: pos + bytesRead,
      filled: carried + bytesRead,
      bytesRead,
    }));
    done.catch(() => {});
    return done;
  };
  let pending: ReturnType<typeof readNext> | undefined =
    start < end ? readNext(start, undefined) : undefined;
  try {
    while (pending) {
      const { data, base, pos, filled, bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return; // The file shrank under us: nothing more to read.
      const last = data.lastIndexOf(NEWLINE, filled - 1);
      if (pos < end) pending = readNext(pos, data.subarray(last + 1, filled));
      if (last >= 0) yield { data, base, length: last + 1 };
    }
  } finally {
    await pending?.catch(() => {});
  }
}

/**
 * Complete lines of `[start, end)` in reverse order, reading chunks from the
 * end; `start` must be a line start. Bytes after the last newline (a torn line)
 * are skipped.
 */
export async function* readLinesBackward(
  fd: ReadSource,
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
    const bytesRead = await readAsync(fd, chunk, 0, want, pos - want);
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
