import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { seqAt } from './record-line.js';

/**
 * The sidecar index: entry `k` (8 bytes, unsigned little-endian) is the byte
 * offset of line `k * INDEX_INTERVAL` of the data file (lines counted from 0,
 * a compacted file's meta line included). Seqs grow along the file but may have
 * gaps (a purge removes lines), so a seq is found by a binary search over the
 * entries, reading the seq at each line probed. In a file never compacted
 * (layout 1's files included) line `n` holds seq `n + 1`, so layout 1's index
 * files, which indexed seqs `k * 256 + 1`, are the same index.
 *
 * The index is a hint: a probed entry must point just after a newline (raw
 * newlines only end lines) at a record line; any such line whose seq is at or
 * before the one sought is a safe place to start reading, since seqs only grow
 * along the file. An unusable entry falls back to reading from the start; the
 * index is rebuilt whenever the session is loaded for writing or compacted.
 * Entry 0 is always offset 0: it is never written, so a session of up to
 * INDEX_INTERVAL lines has no index file at all, and a later entry leaves zeros
 * (a hole) in its place. Index files are tiny: read and written synchronously.
 */
export const INDEX_INTERVAL = 256;
const ENTRY_BYTES = 8;
/** Files up to this size are read from their start: no index file is opened. */
const NO_INDEX_BYTES = 64 * 1024;
/** Enough bytes to read `{"seq":<up to 16 digits>,` after the newline before it. */
const PROBE_BYTES = 32;

/** True when line `line` (counted from 0) starts an index block. */
export function startsIndexBlock(line: number): boolean {
  return line % INDEX_INTERVAL === 0;
}

/** Encodes entries for consecutive blocks. */
export function encodeEntries(offsets: readonly number[]): Buffer {
  const buffer = Buffer.allocUnsafe(offsets.length * ENTRY_BYTES);
  for (const [i, offset] of offsets.entries()) {
    buffer.writeBigUInt64LE(BigInt(offset), i * ENTRY_BYTES);
  }
  return buffer;
}

/** Writes entries for consecutive blocks starting at `firstBlock` into the index file. */
export function writeIndexEntries(
  path: string,
  firstBlock: number,
  offsets: readonly number[],
): void {
  const from = firstBlock === 0 ? 1 : 0; // Entry 0 is implied.
  if (offsets.length <= from) return;
  const buffer = encodeEntries(offsets.slice(from));
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o644);
  try {
    writeSync(fd, buffer, 0, buffer.length, (firstBlock + from) * ENTRY_BYTES);
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes the index file hold exactly `offsets` (one per block, from block 0),
 * leaving it untouched when it already does. A session of one block needs no
 * index: its file, if any, is left alone (entries are checked before use).
 */
export function syncIndexFile(path: string, offsets: readonly number[]): void {
  if (offsets.length <= 1) return;
  const expected = encodeEntries(offsets);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    const { size } = fstatSync(fd);
    if (size === expected.length) {
      const current = Buffer.alloc(size);
      readSync(fd, current, 0, size, 0);
      if (current.equals(expected)) return;
    }
    ftruncateSync(fd, 0);
    writeSync(fd, expected, 0, expected.length, 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * The start of a line at or before the first record of seq `seq` or more,
 * found through the index (or 0, the file start, when it has no usable entry).
 */
export function seekLineAtMost(
  indexPath: string,
  data: number,
  dataEnd: number,
  seq: number,
): number {
  // From the start anyway, or a file so short that stepping over its lines beats opening the index.
  if (seq <= 1 || dataEnd <= NO_INDEX_BYTES) return 0;
  let raw: Buffer;
  try {
    raw = readIndex(indexPath);
  } catch {
    return 0;
  }
  // Binary search for the last entry whose line's seq is at most `seq`.
  let lo = 0;
  let hi = Math.floor(raw.length / ENTRY_BYTES) - 1;
  let best = 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const offset = Number(raw.readBigUInt64LE(mid * ENTRY_BYTES));
    const found = seqOfLineAt(data, dataEnd, offset);
    if (found === undefined) return best;
    if (found <= seq) {
      best = offset;
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}

function readIndex(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    const raw = Buffer.alloc(size - (size % ENTRY_BYTES));
    const bytesRead = readSync(fd, raw, 0, raw.length, 0);
    return raw.subarray(0, bytesRead - (bytesRead % ENTRY_BYTES));
  } finally {
    closeSync(fd);
  }
}

/** The seq of the record line starting at `offset` (just after a newline), if one does. */
function seqOfLineAt(fd: number, dataEnd: number, offset: number): number | undefined {
  if (!Number.isSafeInteger(offset) || offset < 1 || offset >= dataEnd) return undefined;
  const head = Buffer.alloc(Math.min(PROBE_BYTES, dataEnd - offset + 1));
  const bytesRead = readSync(fd, head, 0, head.length, offset - 1);
  if (bytesRead < 2 || head[0] !== 0x0a) return undefined;
  return seqAt(head, 1, bytesRead);
}
