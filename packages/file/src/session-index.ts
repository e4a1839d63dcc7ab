import { constants, type FileHandle, open } from 'node:fs/promises';
import { seqPrefix } from './record-line.js';

/**
 * The sidecar index: entry `k` (8 bytes, unsigned little-endian) is the byte
 * offset of the line of seq `k * INDEX_INTERVAL + 1`. Seqs of a session are
 * contiguous from 1, so the entry for any seq is found by arithmetic. The index
 * is a hint: every entry is checked against the line it points at before use,
 * and rebuilt whenever the session is loaded for writing.
 */
export const INDEX_INTERVAL = 1024;
const ENTRY_BYTES = 8;

/** True when the record of this seq starts an index block. */
export function startsIndexBlock(seq: number): boolean {
  return (seq - 1) % INDEX_INTERVAL === 0;
}

/** Encodes entries for consecutive blocks starting at `firstBlock`. */
export function encodeEntries(offsets: readonly number[]): Buffer {
  const buffer = Buffer.allocUnsafe(offsets.length * ENTRY_BYTES);
  offsets.forEach((offset, i) => buffer.writeBigUInt64LE(BigInt(offset), i * ENTRY_BYTES));
  return buffer;
}

/** Writes entries for consecutive blocks starting at `firstBlock` into the index file. */
export async function writeIndexEntries(
  path: string,
  firstBlock: number,
  offsets: readonly number[],
): Promise<void> {
  if (offsets.length === 0) return;
  const fd = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    const buffer = encodeEntries(offsets);
    await fd.write(buffer, 0, buffer.length, firstBlock * ENTRY_BYTES);
  } finally {
    await fd.close();
  }
}

/** Replaces the index file unless it already holds exactly `offsets` (one per block). */
export async function syncIndexFile(path: string, offsets: readonly number[]): Promise<void> {
  const expected = encodeEntries(offsets);
  const fd = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
  try {
    const { size } = await fd.stat();
    if (size === expected.length) {
      const current = Buffer.alloc(size);
      await fd.read(current, 0, size, 0);
      if (current.equals(expected)) return;
    }
    await fd.truncate(0);
    await fd.write(expected, 0, expected.length, 0);
  } finally {
    await fd.close();
  }
}

/**
 * Byte offset of a line whose seq is at most `seq` and within one block of
 * it, checked against the data file; 0 (the file start) when the index has no
 * usable entry.
 */
export async function seekLineAtMost(
  indexPath: string,
  data: FileHandle,
  dataEnd: number,
  seq: number,
): Promise<{ offset: number; seq: number }> {
  const none = { offset: 0, seq: 1 };
  if (seq <= INDEX_INTERVAL) return none;
  let fd: FileHandle;
  try {
    fd = await open(indexPath, 'r');
  } catch {
    return none;
  }
  try {
    const entries = Math.floor((await fd.stat()).size / ENTRY_BYTES);
    // Walk back from the wanted block past entries that do not check out (a stale tail).
    for (let block = Math.min(Math.floor((seq - 1) / INDEX_INTERVAL), entries - 1); block > 0; block--) {
      const raw = Buffer.alloc(ENTRY_BYTES);
      await fd.read(raw, 0, ENTRY_BYTES, block * ENTRY_BYTES);
      const offset = Number(raw.readBigUInt64LE(0));
      const blockSeq = block * INDEX_INTERVAL + 1;
      if (await lineStartsWith(data, dataEnd, offset, seqPrefix(blockSeq))) {
        return { offset, seq: blockSeq };
      }
      if (entries - block > 4) break; // More than a stale tail is wrong: scan from the start instead.
    }
    return none;
  } finally {
    await fd.close();
  }
}

async function lineStartsWith(
  fd: FileHandle,
  dataEnd: number,
  offset: number,
  prefix: string,
): Promise<boolean> {
  if (!Number.isSafeInteger(offset) || offset + prefix.length > dataEnd) return false;
  if (offset > 0) {
    // The entry must point just after a newline, at a line start.
    const before = Buffer.alloc(1);
    await fd.read(before, 0, 1, offset - 1);
    if (before[0] !== 0x0a) return false;
  }
  const head = Buffer.alloc(prefix.length);
  const { bytesRead } = await fd.read(head, 0, prefix.length, offset);
  return bytesRead === prefix.length && head.toString('latin1') === prefix;
}
