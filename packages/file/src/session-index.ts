import { constants, type FileHandle, open } from 'node:fs/promises';
import { seqPrefix } from './record-line.js';

/**
 * The sidecar index: entry `k` (8 bytes, unsigned little-endian) is the byte
 * offset of the line of seq `k * INDEX_INTERVAL + 1`. Seqs of a session are
 * contiguous from 1, so the entry for any seq is found by arithmetic. The index
 * is a hint: every entry is checked against the line it points at before use,
 * and rebuilt whenever the session is loaded for writing.
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
 * The start of the line of the nearest indexed seq at or before `seq` (a
 * block start, checked against the data file), or the file start when the
 * index has no usable entry.
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
    let block = Math.floor((seq - 1) / INDEX_INTERVAL);
    const raw = Buffer.alloc(ENTRY_BYTES);
    let { bytesRead } = await fd.read(raw, 0, ENTRY_BYTES, block * ENTRY_BYTES);
    if (bytesRead < ENTRY_BYTES) {
      // Past the indexed part (the newest records): start from the last entry.
      block = Math.floor((await fd.stat()).size / ENTRY_BYTES) - 1;
      if (block <= 0) return none;
      ({ bytesRead } = await fd.read(raw, 0, ENTRY_BYTES, block * ENTRY_BYTES));
      if (bytesRead < ENTRY_BYTES) return none;
    }
    const offset = Number(raw.readBigUInt64LE(0));
    const blockSeq = block * INDEX_INTERVAL + 1;
    return (await isLineStart(data, dataEnd, offset, seqPrefix(blockSeq)))
      ? { offset, seq: blockSeq }
      : none;
  } finally {
    await fd.close();
  }
}

/** True when `offset` starts a line (follows a newline) that begins with `prefix`. */
async function isLineStart(
  fd: FileHandle,
  dataEnd: number,
  offset: number,
  prefix: string,
): Promise<boolean> {
  if (!Number.isSafeInteger(offset) || offset < 1 || offset + prefix.length > dataEnd) return false;
  const head = Buffer.alloc(prefix.length + 1);
  const { bytesRead } = await fd.read(head, 0, head.length, offset - 1);
  return bytesRead === head.length && head[0] === 0x0a && head.toString('latin1', 1) === prefix;
}
