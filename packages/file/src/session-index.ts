import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { seqPrefix } from './record-line.js';

/**
 * The sidecar index: entry `k` (8 bytes, unsigned little-endian) is the byte
 * offset of the line of seq `k * INDEX_INTERVAL + 1`. Seqs of a session are
 * contiguous from 1, so the entry for any seq is found by arithmetic. The index
 * is a hint: every entry is checked against the line it points at before use,
 * and rebuilt whenever the session is loaded for writing. Entry 0 (seq 1) is
 * always offset 0: it is never written, so a session of up to INDEX_INTERVAL
 * records has no index file at all, and a later entry leaves zeros (a hole) in
 * its place. Index files are tiny: they are read and written synchronously.
 */
export const INDEX_INTERVAL = 256;
const ENTRY_BYTES = 8;

/** True when the record of this seq starts an index block. */
export function startsIndexBlock(seq: number): boolean {
  return (seq - 1) % INDEX_INTERVAL === 0;
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
 * The start of the line of the nearest indexed seq at or before `seq` (a
 * block start, checked against the data file), or the file start when the
 * index has no usable entry.
 */
export function seekLineAtMost(
  indexPath: string,
  data: number,
  dataEnd: number,
  seq: number,
): { offset: number; seq: number } {
  const none = { offset: 0, seq: 1 };
  if (seq <= INDEX_INTERVAL) return none; // Block 0 starts at 0: no need to open the index.
  let fd: number;
  try {
    fd = openSync(indexPath, 'r');
  } catch {
    return none;
  }
  try {
    let block = Math.floor((seq - 1) / INDEX_INTERVAL);
    const raw = Buffer.alloc(ENTRY_BYTES);
    let bytesRead = readSync(fd, raw, 0, ENTRY_BYTES, block * ENTRY_BYTES);
    if (bytesRead < ENTRY_BYTES) {
      // Past the indexed part (the newest records): start from the last entry.
      block = Math.floor(fstatSync(fd).size / ENTRY_BYTES) - 1;
      if (block <= 0) return none;
      bytesRead = readSync(fd, raw, 0, ENTRY_BYTES, block * ENTRY_BYTES);
      if (bytesRead < ENTRY_BYTES) return none;
    }
    const offset = Number(raw.readBigUInt64LE(0));
    const blockSeq = block * INDEX_INTERVAL + 1;
    return isLineStart(data, dataEnd, offset, seqPrefix(blockSeq))
      ? { offset, seq: blockSeq }
      : none;
  } finally {
    closeSync(fd);
  }
}

/** True when `offset` starts a line (follows a newline) that begins with `prefix`. */
function isLineStart(fd: number, dataEnd: number, offset: number, prefix: string): boolean {
  if (!Number.isSafeInteger(offset) || offset < 1 || offset + prefix.length > dataEnd) return false;
  const head = Buffer.alloc(prefix.length + 1);
  const bytesRead = readSync(fd, head, 0, head.length, offset - 1);
  return bytesRead === head.length && head[0] === 0x0a && head.toString('latin1', 1) === prefix;
}
